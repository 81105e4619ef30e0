namespace MLNet.Transfer;

/// <summary>How several layers' states are combined into one (ELMo-style transfer uses all layers).</summary>
public enum LayerCombination
{
    /// <summary>Plain average of the selected layers.</summary>
    Average,
    /// <summary>Concatenation (width × number of layers).</summary>
    Concatenate,
    /// <summary>ELMo scalar mix with <see cref="Encoders.EmbeddingSettings.MixWeights"/> (softmax-normalised) and scale 1.</summary>
    ScalarMix,
}
