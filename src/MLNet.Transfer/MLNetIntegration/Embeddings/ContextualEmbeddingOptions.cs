using MLNet.Transfer.Encoders;
using MLNet.Transfer.Models;
using MLNet.Transfer.Text;

namespace MLNet.Transfer.MLNetIntegration;

/// <summary>Options of <see cref="ContextualEmbeddingEstimator"/> (ELMo-style contextual features from a pretrained encoder).</summary>
public sealed class ContextualEmbeddingOptions
{
    /// <summary>Output column: a known-size vector of Single (a variable-size one with <see cref="TokenLevel"/>). Default "Features".</summary>
    public string OutputColumnName { get; set; } = "Features";
    /// <summary>Input text column. Default "Text".</summary>
    public string InputColumnName { get; set; } = "Text";
    /// <summary>Optional second text column: rows are encoded as sentence pairs ([CLS] a [SEP] b [SEP]).</summary>
    public string? SecondInputColumnName { get; set; }
    /// <summary>Embedded model name ("minilm", "arctic-xs") or a Hugging Face directory. Default "minilm". Ignored when <see cref="Encoder"/> is set.</summary>
    public string Model { get; set; } = "minilm";
    /// <summary>An already loaded encoder to use (shared, not copied). Optional.</summary>
    public PretrainedEncoder? Encoder { get; set; }
    /// <summary>
    /// Token pooling. Default (null): the model's own (<see cref="PretrainedEncoder.EmbeddingDefaults"/>: a
    /// sentence-transformers directory's Pooling module, CLS for arctic-xs, mean otherwise). A value set here always wins.
    /// </summary>
    public PoolingMode? Pooling { get; set; }
    /// <summary>Hidden-state indices (0 = embeddings, -1 = last block). Null = last block.</summary>
    public int[]? Layers { get; set; }
    /// <summary>How several <see cref="Layers"/> combine. Default average.</summary>
    public LayerCombination Combination { get; set; } = LayerCombination.Average;
    /// <summary>ELMo scalar-mix weights (pre-softmax), one per layer, for <see cref="LayerCombination.ScalarMix"/>.</summary>
    public float[]? MixWeights { get; set; }
    /// <summary>
    /// L2-normalise the vectors. Default (null): the model's own (<see cref="PretrainedEncoder.EmbeddingDefaults"/>: true
    /// for the embedded models and a sentence-transformers directory with a Normalize module, false otherwise).
    /// </summary>
    public bool? Normalize { get; set; }
    /// <summary>Token budget per text; null = the model's own (a sentence-transformers max_seq_length), else min(256, model positions).</summary>
    public int? MaxTokens { get; set; }
    /// <summary>Which part of a long text to keep when not using windows. Default head.</summary>
    public TruncationStrategy Truncation { get; set; } = TruncationStrategy.Head;
    /// <summary>&gt; 0: split long texts into overlapping windows this many word pieces apart and average them. Default 0.</summary>
    public int WindowStride { get; set; }
    /// <summary>Rows per forward pass. Default 32.</summary>
    public int BatchSize { get; set; } = 32;
    /// <summary>
    /// Token-level output for sequence tasks: instead of one pooled vector, the output column holds every word piece's
    /// vector ([CLS] and [SEP] included) flattened as [tokens × width], and <see cref="TokensColumnName"/> the word pieces.
    /// Pooling and windows do not apply. Default false.
    /// </summary>
    public bool TokenLevel { get; set; }
    /// <summary>With <see cref="TokenLevel"/>: the column of word pieces (variable-size text vector). Default "&lt;OutputColumnName&gt;Tokens".</summary>
    public string? TokensColumnName { get; set; }
    /// <summary>"cpu" (default), "cuda" or "cuda:N". Loaded models run on the CPU unless changed.</summary>
    public string Device { get; set; } = "cpu";
    /// <summary>
    /// Which runtime computes the vectors. Default <see cref="InferenceEngine.Auto"/>: ONNX Runtime over the library's own
    /// export of the encoder when it can run it (a BERT-family encoder on the CPU, sentence vectors), else LibTorch; the
    /// vectors agree to float rounding. Saved with the model.
    /// </summary>
    public InferenceEngine InferenceEngine { get; set; } = InferenceEngine.Auto;

    internal string EffectiveTokensColumnName => TokensColumnName ?? OutputColumnName + "Tokens";

    /// <summary>A copy whose unset <see cref="Pooling"/>, <see cref="Normalize"/> and <see cref="MaxTokens"/> are <paramref name="encoder"/>'s own.</summary>
    internal ContextualEmbeddingOptions ResolvedFor(PretrainedEncoder encoder)
    {
        var defaults = encoder.EmbeddingDefaults;
        var copy = (ContextualEmbeddingOptions)MemberwiseClone();
        copy.Pooling ??= defaults.Pooling;
        copy.Normalize ??= defaults.Normalize;
        copy.MaxTokens ??= defaults.MaxTokens;
        return copy;
    }

    /// <summary>The settings these options give with <paramref name="encoder"/> (unset values are the encoder's own).</summary>
    internal EmbeddingSettings ToSettings(PretrainedEncoder encoder)
    {
        var resolved = ResolvedFor(encoder);
        return new()
        {
            Pooling = resolved.Pooling!.Value, Layers = Layers, Combination = Combination, MixWeights = MixWeights, Normalize = resolved.Normalize!.Value,
            MaxTokens = resolved.MaxTokens, Truncation = Truncation, WindowStride = WindowStride, BatchSize = BatchSize,
        };
    }
}
