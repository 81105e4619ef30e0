namespace MLNet.Transfer.Checkpoints;

/// <summary>
/// The state-dict keys of a Hugging Face <c>BertModel</c> (no "bert." prefix): the names every
/// checkpoint format in this folder maps to, and that the TorchSharp modules use as field paths.
/// </summary>
public static class BertWeightNames
{
    /// <summary>Word (token) embedding table, [vocab, hidden].</summary>
    public const string WordEmbeddings = "embeddings.word_embeddings.weight";

    /// <summary>Absolute position embedding table, [max positions, hidden].</summary>
    public const string PositionEmbeddings = "embeddings.position_embeddings.weight";

    /// <summary>Token type (segment) embedding table, [type vocab, hidden].</summary>
    public const string TokenTypeEmbeddings = "embeddings.token_type_embeddings.weight";

    /// <summary>Embedding LayerNorm scale, [hidden].</summary>
    public const string EmbeddingsLayerNormWeight = "embeddings.LayerNorm.weight";

    /// <summary>Embedding LayerNorm shift, [hidden].</summary>
    public const string EmbeddingsLayerNormBias = "embeddings.LayerNorm.bias";

    /// <summary>Pooler dense weight (nn.Linear layout [out, in]), [hidden, hidden]; optional.</summary>
    public const string PoolerWeight = "pooler.dense.weight";

    /// <summary>Pooler dense bias, [hidden]; optional.</summary>
    public const string PoolerBias = "pooler.dense.bias";

    /// <summary>The five embedding tensors, in state-dict order.</summary>
    public static IReadOnlyList<string> Embeddings { get; } =
        [WordEmbeddings, PositionEmbeddings, TokenTypeEmbeddings, EmbeddingsLayerNormWeight, EmbeddingsLayerNormBias];

    /// <summary>
    /// The per-layer tensor suffixes (after <c>encoder.layer.{i}.</c>), in state-dict order: 16 tensors.
    /// Linear weights use the nn.Linear layout [out, in].
    /// </summary>
    public static IReadOnlyList<string> LayerSuffixes { get; } =
    [
        "attention.self.query.weight", "attention.self.query.bias",
        "attention.self.key.weight", "attention.self.key.bias",
        "attention.self.value.weight", "attention.self.value.bias",
        "attention.output.dense.weight", "attention.output.dense.bias",
        "attention.output.LayerNorm.weight", "attention.output.LayerNorm.bias",
        "intermediate.dense.weight", "intermediate.dense.bias",
        "output.dense.weight", "output.dense.bias",
        "output.LayerNorm.weight", "output.LayerNorm.bias",
    ];

    /// <summary>The key prefix of encoder layer <paramref name="index"/>: <c>encoder.layer.{index}.</c></summary>
    public static string LayerPrefix(int index) => $"encoder.layer.{index}.";

    /// <summary>The 16 full tensor names of encoder layer <paramref name="index"/>.</summary>
    public static IReadOnlyList<string> Layer(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        string prefix = LayerPrefix(index);
        return LayerSuffixes.Select(s => prefix + s).ToArray();
    }

    /// <summary>
    /// The encoder layer index a key belongs to (e.g. 3 for "encoder.layer.3.output.dense.bias"), or -1.
    /// </summary>
    public static int LayerIndexOf(string name)
    {
        const string Prefix = "encoder.layer.";
        if (!name.StartsWith(Prefix, StringComparison.Ordinal)) return -1;
        int dot = name.IndexOf('.', Prefix.Length);
        return dot > Prefix.Length && int.TryParse(name.AsSpan(Prefix.Length, dot - Prefix.Length), out int index) && index >= 0
            ? index
            : -1;
    }
}
