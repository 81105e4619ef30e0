using System.Text.Json.Serialization;

namespace MLNet.Transfer.Models.Recurrent;

/// <summary>
/// Every architectural number of a recurrent language-model encoder, serialised as its <c>config.json</c>:
/// the AWD-LSTM of ULMFiT (<c>model_type</c> "awd-lstm": one left-to-right LSTM stack) or an ELMo-style
/// bidirectional LM ("bilstm": a left-to-right and a right-to-left stack sharing the embeddings and the softmax).
/// Dropout names and defaults follow fastai's <c>awd_lstm_lm_config</c>.
/// </summary>
public sealed record RecurrentConfig
{
    /// <summary>"model_type" of the AWD-LSTM.</summary>
    public const string AwdLstmType = "awd-lstm";
    /// <summary>"model_type" of the bidirectional LSTM LM.</summary>
    public const string BiLstmType = "bilstm";

    /// <summary><see cref="AwdLstmType"/> or <see cref="BiLstmType"/>.</summary>
    [JsonPropertyName("model_type")] public string ModelType { get; init; } = AwdLstmType;
    /// <summary>Class names, for people reading the file (e.g. "AwdLstmForCausalLM").</summary>
    [JsonPropertyName("architectures")] public string[]? Architectures { get; init; }
    /// <summary>Number of word-piece ids.</summary>
    [JsonPropertyName("vocab_size")] public int VocabSize { get; init; } = 30522;
    /// <summary>Width of the word embeddings, and of the top LSTM layer's output (tied to the embeddings). fastai: 400.</summary>
    [JsonPropertyName("embedding_size")] public int EmbeddingSize { get; init; } = 400;
    /// <summary>Units of every LSTM layer but the top one (per direction). fastai: 1152.</summary>
    [JsonPropertyName("hidden_size")] public int HiddenSize { get; init; } = 1152;
    /// <summary>LSTM layers (per direction). fastai: 3.</summary>
    [JsonPropertyName("num_hidden_layers")] public int NumHiddenLayers { get; init; } = 3;
    /// <summary>Embedding dropout: share of vocabulary rows zeroed per batch (whole words dropped). fastai: 0.02.</summary>
    [JsonPropertyName("embedding_dropout")] public double EmbeddingDropout { get; init; } = 0.02;
    /// <summary>Locked (variational) dropout on the embedding output, one mask per sequence. fastai: 0.25.</summary>
    [JsonPropertyName("input_dropout")] public double InputDropout { get; init; } = 0.25;
    /// <summary>DropConnect on each LSTM's hidden-to-hidden weights, one mask per batch. fastai: 0.2.</summary>
    [JsonPropertyName("weight_dropout")] public double WeightDropout { get; init; } = 0.2;
    /// <summary>Locked dropout between LSTM layers. fastai: 0.15.</summary>
    [JsonPropertyName("hidden_dropout")] public double HiddenDropout { get; init; } = 0.15;
    /// <summary>Locked dropout on the top layer's output before the softmax (language model only). fastai: 0.1.</summary>
    [JsonPropertyName("output_dropout")] public double OutputDropout { get; init; } = 0.1;
    /// <summary>Longest sequence, in tokens including [CLS]/[SEP], fed at once (LSTMs have no position table; this only bounds windows).</summary>
    [JsonPropertyName("max_position_embeddings")] public int MaxPositionEmbeddings { get; init; } = 512;
    /// <summary>Id of the padding token.</summary>
    [JsonPropertyName("pad_token_id")] public int PadTokenId { get; init; }
    /// <summary>Whether the tokenizer lower-cases (from tokenizer_config.json).</summary>
    [JsonIgnore] public bool DoLowerCase { get; init; } = true;

    /// <summary>Whether this is the bidirectional (ELMo-style) model.</summary>
    [JsonIgnore] public bool Bidirectional => ModelType == BiLstmType;

    /// <summary>
    /// A small AWD-LSTM for a CPU: 3 layers of 512, 512 and 256 units over embeddings of 256 (fastai's shape, 400/1152,
    /// scaled down) — about 12.3M parameters with a 30,522-piece vocabulary, 7.8M of them the tied embedding matrix.
    /// </summary>
    public static RecurrentConfig SmallAwdLstm(int vocabSize) => new()
    {
        ModelType = AwdLstmType, VocabSize = vocabSize, EmbeddingSize = 256, HiddenSize = 512, NumHiddenLayers = 3,
    };

    /// <summary>
    /// A small ELMo-style bidirectional LM for a CPU: 2 layers per direction of 256 units, embeddings 256, so every hidden
    /// state (embeddings duplicated as in ELMo, then forward‖backward) is 512 wide and layers can be averaged or mixed;
    /// about 9.9M parameters with a 30,522-piece vocabulary.
    /// </summary>
    public static RecurrentConfig SmallBiLstm(int vocabSize) => new()
    {
        ModelType = BiLstmType, VocabSize = vocabSize, EmbeddingSize = 256, HiddenSize = 256, NumHiddenLayers = 2,
    };

    /// <summary>Units of LSTM layer <paramref name="layer"/> (0-based): <see cref="HiddenSize"/>, the top one <see cref="EmbeddingSize"/>.</summary>
    public int LayerUnits(int layer) => layer == NumHiddenLayers - 1 ? EmbeddingSize : HiddenSize;

    /// <summary>Checks that the numbers describe a buildable model; throws naming the bad field.</summary>
    /// <param name="source">Where the config came from, for the error message.</param>
    public RecurrentConfig Validate(string source = "config")
    {
        if (ModelType is not (AwdLstmType or BiLstmType))
            throw new NotSupportedException($"{source}: model_type '{ModelType}' is not a recurrent model ({AwdLstmType}, {BiLstmType}).");
        ConfigJson.RequirePositive(source, ("vocab_size", VocabSize), ("embedding_size", EmbeddingSize), ("hidden_size", HiddenSize),
                                   ("num_hidden_layers", NumHiddenLayers), ("max_position_embeddings", MaxPositionEmbeddings));
        if (PadTokenId < 0 || PadTokenId >= VocabSize) throw new InvalidDataException($"{source}: pad_token_id {PadTokenId} is outside the vocabulary (0..{VocabSize - 1}).");
        foreach (var (name, p) in new[] { ("embedding_dropout", EmbeddingDropout), ("input_dropout", InputDropout), ("weight_dropout", WeightDropout),
                                          ("hidden_dropout", HiddenDropout), ("output_dropout", OutputDropout) })
            if (p is < 0 or >= 1 || double.IsNaN(p)) throw new InvalidDataException($"{source}: {name} must be in [0, 1), got {p}.");
        return this;
    }

    /// <summary>The same architecture with every dropout probability multiplied by <paramref name="factor"/> (fastai's drop_mult).</summary>
    public RecurrentConfig WithDropoutScaled(double factor) => this with
    {
        EmbeddingDropout = EmbeddingDropout * factor, InputDropout = InputDropout * factor, WeightDropout = WeightDropout * factor,
        HiddenDropout = HiddenDropout * factor, OutputDropout = OutputDropout * factor,
    };

    /// <summary>Parses config.json text and validates it.</summary>
    /// <exception cref="InvalidDataException">Not valid JSON or a bad value (the message starts with <paramref name="source"/>).</exception>
    public static RecurrentConfig FromJson(string json, string source = "config.json") => ConfigJson.Parse<RecurrentConfig>(json, source).Validate(source);

    /// <summary>Serialises as config.json text.</summary>
    public string ToJson() => ConfigJson.Write(this);
}
