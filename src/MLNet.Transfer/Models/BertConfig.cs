using System.Text.Json.Serialization;

namespace MLNet.Transfer.Models;

/// <summary>
/// Every architectural number of a BERT-family encoder, named and serialised like a Hugging Face
/// <c>config.json</c> so directories round-trip with other tools.
/// </summary>
public sealed record BertConfig
{
    /// <summary>Architecture family; only "bert" is supported.</summary>
    [JsonPropertyName("model_type")] public string ModelType { get; init; } = "bert";
    /// <summary>Number of word-piece ids.</summary>
    [JsonPropertyName("vocab_size")] public int VocabSize { get; init; } = 30522;
    /// <summary>Width of every hidden state.</summary>
    [JsonPropertyName("hidden_size")] public int HiddenSize { get; init; } = 768;
    /// <summary>Number of transformer blocks.</summary>
    [JsonPropertyName("num_hidden_layers")] public int NumHiddenLayers { get; init; } = 12;
    /// <summary>Attention heads per block; must divide <see cref="HiddenSize"/>.</summary>
    [JsonPropertyName("num_attention_heads")] public int NumAttentionHeads { get; init; } = 12;
    /// <summary>Width of the feed-forward layer.</summary>
    [JsonPropertyName("intermediate_size")] public int IntermediateSize { get; init; } = 3072;
    /// <summary>Feed-forward activation: "gelu" (exact), "gelu_new"/"gelu_pytorch_tanh" (tanh approximation) or "relu".</summary>
    [JsonPropertyName("hidden_act")] public string HiddenAct { get; init; } = "gelu";
    /// <summary>Dropout on embeddings and block outputs during training.</summary>
    [JsonPropertyName("hidden_dropout_prob")] public double HiddenDropoutProb { get; init; } = 0.1;
    /// <summary>Dropout on attention probabilities during training.</summary>
    [JsonPropertyName("attention_probs_dropout_prob")] public double AttentionProbsDropoutProb { get; init; } = 0.1;
    /// <summary>Longest sequence (in tokens, including [CLS]/[SEP]) the position table covers.</summary>
    [JsonPropertyName("max_position_embeddings")] public int MaxPositionEmbeddings { get; init; } = 512;
    /// <summary>Number of segment (token type) ids.</summary>
    [JsonPropertyName("type_vocab_size")] public int TypeVocabSize { get; init; } = 2;
    /// <summary>LayerNorm epsilon.</summary>
    [JsonPropertyName("layer_norm_eps")] public double LayerNormEps { get; init; } = 1e-12;
    /// <summary>Id of the padding token.</summary>
    [JsonPropertyName("pad_token_id")] public int PadTokenId { get; init; }
    /// <summary>Standard deviation of the normal initialiser for weights trained from scratch.</summary>
    [JsonPropertyName("initializer_range")] public double InitializerRange { get; init; } = 0.02;
    /// <summary>Hugging Face class names, written for other tools (e.g. "BertModel").</summary>
    [JsonPropertyName("architectures")] public string[]? Architectures { get; init; }
    /// <summary>
    /// True for a decoder (causal, left-to-right attention) as written by Hugging Face <c>BertLMHeadModel</c>; null
    /// (not written) for encoders. <see cref="Bert.BertModel"/> then always attends causally, as Hugging Face does.
    /// </summary>
    [JsonPropertyName("is_decoder")] public bool? IsDecoder { get; init; }
    /// <summary>Whether the tokenizer lower-cases (read from tokenizer_config.json when present).</summary>
    [JsonIgnore] public bool DoLowerCase { get; init; } = true;

    /// <summary>Head width (<see cref="HiddenSize"/> / <see cref="NumAttentionHeads"/>).</summary>
    [JsonIgnore] public int HeadSize => HiddenSize / NumAttentionHeads;

    /// <summary>all-MiniLM-L6-v2 / snowflake-arctic-embed-xs shape: 6 layers, hidden 384, 12 heads, FFN 1536.</summary>
    public static BertConfig MiniLmL6 { get; } = new()
    {
        HiddenSize = 384, NumHiddenLayers = 6, NumAttentionHeads = 12, IntermediateSize = 1536,
        Architectures = ["BertModel"],
    };

    /// <summary>Checks that the numbers describe a buildable encoder; throws naming the bad field.</summary>
    /// <param name="source">Where the config came from, for the error message.</param>
    public BertConfig Validate(string source = "config")
    {
        if (!string.Equals(ModelType, "bert", StringComparison.OrdinalIgnoreCase))
            throw new NotSupportedException($"{source}: model_type '{ModelType}' is not supported; only BERT-family encoders (model_type \"bert\") are.");
        ConfigJson.RequirePositive(source, ("vocab_size", VocabSize), ("hidden_size", HiddenSize), ("num_hidden_layers", NumHiddenLayers),
                                   ("num_attention_heads", NumAttentionHeads), ("intermediate_size", IntermediateSize),
                                   ("max_position_embeddings", MaxPositionEmbeddings), ("type_vocab_size", TypeVocabSize));
        if (HiddenSize % NumAttentionHeads != 0)
            throw new InvalidDataException($"{source}: hidden_size {HiddenSize} is not a multiple of num_attention_heads {NumAttentionHeads}.");
        if (HiddenAct is not ("gelu" or "gelu_new" or "gelu_pytorch_tanh" or "relu"))
            throw new NotSupportedException($"{source}: hidden_act '{HiddenAct}' is not supported (gelu, gelu_new, gelu_pytorch_tanh, relu).");
        if (LayerNormEps <= 0) throw new InvalidDataException($"{source}: layer_norm_eps must be positive, got {LayerNormEps}.");
        return this;
    }

    /// <summary>Parses a Hugging Face config.json text and validates it.</summary>
    /// <exception cref="InvalidDataException">Not valid JSON or a bad value (the message starts with <paramref name="source"/>).</exception>
    public static BertConfig FromJson(string json, string source = "config.json") => ConfigJson.Parse<BertConfig>(json, source).Validate(source);

    /// <summary>Serialises in Hugging Face config.json form.</summary>
    public string ToJson() => ConfigJson.Write(this);
}
