namespace MLNet.Transfer;

/// <summary>Which graphs a GLoMo-style (reduced) graph-transfer classifier mixes into its token features.</summary>
public enum GraphSource
{
    /// <summary>The graphs predicted by the pretrained graph model (the transfer).</summary>
    Pretrained,
    /// <summary>Graphs predicted by an untrained graph model of the same shape and vocabulary (an ablation: structure without learning).</summary>
    Random,
    /// <summary>No graph mixing: the same classifier over the token features alone (the baseline); the graph model supplies only the tokenizer.</summary>
    None,
}
