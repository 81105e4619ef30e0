using MLNet.Transfer.Models;
using MLNet.Transfer.Text;

namespace MLNet.Transfer.Encoders;

/// <summary>Settings for turning texts into vectors with a <see cref="PretrainedEncoder"/>.</summary>
public sealed record EmbeddingSettings
{
    /// <summary>Token pooling. Default mean (what all-MiniLM-L6-v2 was trained with; arctic-embed uses CLS).</summary>
    public PoolingMode Pooling { get; init; } = PoolingMode.Mean;

    /// <summary>
    /// Hidden-state indices to use: 0 = embedding output, 1..N = blocks, negative counts from the end
    /// (-1 = last block). Null = the last block only.
    /// </summary>
    public IReadOnlyList<int>? Layers { get; init; }

    /// <summary>How the selected <see cref="Layers"/> are combined. Default average.</summary>
    public LayerCombination Combination { get; init; } = LayerCombination.Average;

    /// <summary>Pre-softmax weights for <see cref="LayerCombination.ScalarMix"/>, one per selected layer.</summary>
    public IReadOnlyList<float>? MixWeights { get; init; }

    /// <summary>Scale each vector to unit L2 norm. Default false.</summary>
    public bool Normalize { get; init; }

    /// <summary>Token budget per sequence including [CLS]/[SEP]; at most the model's positions. Default (null): 256 or the model's positions if fewer.</summary>
    public int? MaxTokens { get; init; }

    /// <summary>The token budget used with <paramref name="encoder"/> (any architecture).</summary>
    public int EffectiveMaxTokens(TextEncoder encoder) => EffectiveMaxTokens(encoder.MaxTokens);

    /// <summary>The token budget used with an encoder taking at most <paramref name="maxPositions"/> tokens.</summary>
    public int EffectiveMaxTokens(int maxPositions) => MaxTokens ?? Math.Min(256, maxPositions);

    /// <summary>What to keep of texts longer than <see cref="MaxTokens"/> (ignored when windows are on). Default head.</summary>
    public TruncationStrategy Truncation { get; init; } = TruncationStrategy.Head;

    /// <summary>
    /// When &gt; 0, texts longer than <see cref="MaxTokens"/> are split into overlapping windows of
    /// <see cref="MaxTokens"/> tokens starting this many word pieces apart, and the window vectors are averaged,
    /// so the whole text counts. Default 0 (truncate).
    /// </summary>
    public int WindowStride { get; init; }

    /// <summary>Sequences per forward pass (texts are grouped by length to minimise padding). Default 32.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Width of the produced vectors for an encoder with <paramref name="hiddenSize"/> and <paramref name="layerCount"/> blocks.</summary>
    public int OutputWidth(int hiddenSize, int layerCount) =>
        Models.Pooling.Width(Pooling, hiddenSize) * (Combination == LayerCombination.Concatenate ? ResolveLayers(layerCount).Length : 1);

    /// <summary>
    /// Width of the produced vectors for <paramref name="encoder"/>, whose layers may differ in width (an AWD-LSTM's
    /// inner layers are wider than its embeddings): the pooled width of the selected layers, summed when concatenating.
    /// </summary>
    public int OutputWidth(TextEncoder encoder) => OutputWidth((IEncoderShape)encoder);

    /// <summary>Width of the produced vectors for an encoder of <paramref name="encoder"/>'s shape (see the public overload).</summary>
    internal int OutputWidth(IEncoderShape encoder)
    {
        var widths = ResolveLayers(encoder.LayerCount).Select(l => Models.Pooling.Width(Pooling, encoder.LayerWidth(l))).ToArray();
        return Combination == LayerCombination.Concatenate ? widths.Sum() : widths[0];
    }

    /// <summary>The selected hidden-state indices in 0..<paramref name="layerCount"/>, validated.</summary>
    public int[] ResolveLayers(int layerCount)
    {
        if (Layers is null || Layers.Count == 0) return [layerCount];
        return Layers.Select(l =>
        {
            int index = l < 0 ? layerCount + 1 + l : l;
            if (index < 0 || index > layerCount)
                throw new ArgumentOutOfRangeException(nameof(Layers), l, $"Layer {l} does not exist; the model has hidden states 0..{layerCount} (or -1..-{layerCount + 1}).");
            return index;
        }).ToArray();
    }

    /// <summary>
    /// Checks every value against <paramref name="encoder"/> (any architecture); averaging or mixing layers also needs
    /// the selected layers to have one width. Throws naming the bad setting.
    /// </summary>
    public void Validate(TextEncoder encoder) => Validate((IEncoderShape)encoder);

    /// <summary>Checks every value against an encoder of <paramref name="encoder"/>'s shape (see the public overload).</summary>
    internal void Validate(IEncoderShape encoder)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        Validate(encoder.LayerCount, encoder.MaxTokens);
        var layers = ResolveLayers(encoder.LayerCount);
        if (Combination != LayerCombination.Concatenate && layers.Select(encoder.LayerWidth).Distinct().Count() > 1)
            throw new ArgumentException($"Layers {string.Join(", ", layers)} have different widths ({string.Join(", ", layers.Select(encoder.LayerWidth))}); " +
                                        $"{Combination} needs one width: select layers of equal width or concatenate them.", nameof(Layers));
    }

    /// <summary>The softmax of <see cref="MixWeights"/> for <see cref="LayerCombination.ScalarMix"/> (null for other combinations).</summary>
    internal float[]? NormalizedMixWeights()
    {
        if (Combination != LayerCombination.ScalarMix) return null;
        var exp = MixWeights!.Select(w => Math.Exp(w)).ToArray();
        double sum = exp.Sum();
        return exp.Select(w => (float)(w / sum)).ToArray();
    }

    private void Validate(int layerCount, int maxPositions)
    {
        int maxTokens = EffectiveMaxTokens(maxPositions);
        if (maxTokens < 2 || maxTokens > maxPositions)
            throw new ArgumentOutOfRangeException(nameof(MaxTokens), maxTokens, $"MaxTokens must be between 2 and the model's max_position_embeddings ({maxPositions}).");
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "BatchSize must be at least 1.");
        if (WindowStride < 0 || WindowStride > maxTokens - 2)
            throw new ArgumentOutOfRangeException(nameof(WindowStride), WindowStride, $"WindowStride must be between 0 (off) and MaxTokens - 2 ({maxTokens - 2}).");
        int layers = ResolveLayers(layerCount).Length;
        if (Combination == LayerCombination.ScalarMix && (MixWeights is null || MixWeights.Count != layers))
            throw new ArgumentException($"ScalarMix needs one MixWeights entry per selected layer ({layers}), got {MixWeights?.Count ?? 0}.", nameof(MixWeights));
        if (!Enum.IsDefined(Pooling)) throw new ArgumentOutOfRangeException(nameof(Pooling), Pooling, "Unknown pooling.");
        if (!Enum.IsDefined(Combination)) throw new ArgumentOutOfRangeException(nameof(Combination), Combination, "Unknown layer combination.");
        if (!Enum.IsDefined(Truncation)) throw new ArgumentOutOfRangeException(nameof(Truncation), Truncation, "Unknown truncation strategy.");
    }
}
