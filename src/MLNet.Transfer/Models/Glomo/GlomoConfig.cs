using System.Text.Json.Serialization;

namespace MLNet.Transfer.Models.Glomo;

/// <summary>
/// Every architectural number of a GLoMo-style (reduced) graph model (Yang et al., NeurIPS 2018), serialised as its
/// <c>config.json</c> with <c>model_type</c> "glomo": word-piece embeddings, a graph predictor (key and query
/// convolutions per graph layer and head) and a feature predictor that aggregates over the graphs to predict the next
/// <see cref="PredictionSteps"/> tokens in both directions.
/// </summary>
public sealed record GlomoConfig
{
    /// <summary>The "model_type" of a GLoMo-style model directory.</summary>
    public const string GlomoType = "glomo";

    /// <summary>Always <see cref="GlomoType"/>.</summary>
    [JsonPropertyName("model_type")] public string ModelType { get; init; } = GlomoType;
    /// <summary>Class names, for people reading the file.</summary>
    [JsonPropertyName("architectures")] public string[]? Architectures { get; init; }
    /// <summary>Number of word-piece ids.</summary>
    [JsonPropertyName("vocab_size")] public int VocabSize { get; init; } = 30522;
    /// <summary>Width of the word embeddings and of every feature-predictor state.</summary>
    [JsonPropertyName("embedding_size")] public int EmbeddingSize { get; init; } = 128;
    /// <summary>Graph layers L: one set of graphs (and one feature-predictor layer) each.</summary>
    [JsonPropertyName("num_graph_layers")] public int GraphLayers { get; init; } = 2;
    /// <summary>Graphs (heads) per layer; <see cref="EmbeddingSize"/> must be a multiple of it.</summary>
    [JsonPropertyName("num_heads")] public int Heads { get; init; } = 4;
    /// <summary>Width of each head's keys and queries.</summary>
    [JsonPropertyName("key_size")] public int KeySize { get; init; } = 32;
    /// <summary>Width of the key/query convolutions (tokens; causal in the direction being predicted).</summary>
    [JsonPropertyName("conv_width")] public int ConvWidth { get; init; } = 3;
    /// <summary>D: each position predicts the tokens 1 … D steps ahead (and, right to left, behind).</summary>
    [JsonPropertyName("prediction_steps")] public int PredictionSteps { get; init; } = 3;
    /// <summary>Initial value of the affinity bias b inside ReLU(k·q + b)².</summary>
    [JsonPropertyName("graph_bias_init")] public double GraphBiasInit { get; init; } = 1.0;
    /// <summary>Dropout on embeddings and feature-predictor states in training.</summary>
    [JsonPropertyName("dropout")] public double Dropout { get; init; } = 0.1;
    /// <summary>Longest window, in tokens including [CLS]/[SEP] (no position table; this only bounds windows).</summary>
    [JsonPropertyName("max_position_embeddings")] public int MaxPositionEmbeddings { get; init; } = 512;
    /// <summary>Id of the padding token.</summary>
    [JsonPropertyName("pad_token_id")] public int PadTokenId { get; init; }
    /// <summary>Whether the tokenizer lower-cases (from tokenizer_config.json).</summary>
    [JsonIgnore] public bool DoLowerCase { get; init; } = true;

    /// <summary>A small model for a CPU: embeddings 128, 2 graph layers of 4 heads, keys 32, convolutions of 3, D = 3.</summary>
    public static GlomoConfig Small(int vocabSize) => new() { VocabSize = vocabSize };

    /// <summary>Checks that the numbers describe a buildable model; throws naming the bad field.</summary>
    /// <param name="source">Where the config came from, for the error message.</param>
    public GlomoConfig Validate(string source = "config")
    {
        if (ModelType != GlomoType) throw new NotSupportedException($"{source}: model_type '{ModelType}' is not '{GlomoType}'.");
        ConfigJson.RequirePositive(source, ("vocab_size", VocabSize), ("embedding_size", EmbeddingSize), ("num_graph_layers", GraphLayers),
                                   ("num_heads", Heads), ("key_size", KeySize), ("conv_width", ConvWidth), ("prediction_steps", PredictionSteps),
                                   ("max_position_embeddings", MaxPositionEmbeddings));
        if (EmbeddingSize % Heads != 0) throw new InvalidDataException($"{source}: embedding_size {EmbeddingSize} is not a multiple of num_heads {Heads}.");
        if (PadTokenId < 0 || PadTokenId >= VocabSize) throw new InvalidDataException($"{source}: pad_token_id {PadTokenId} is outside the vocabulary (0..{VocabSize - 1}).");
        if (Dropout is < 0 or >= 1 || double.IsNaN(Dropout)) throw new InvalidDataException($"{source}: dropout must be in [0, 1), got {Dropout}.");
        return this;
    }

    /// <summary>Parses config.json text and validates it.</summary>
    /// <exception cref="InvalidDataException">Not valid JSON or a bad value (the message starts with <paramref name="source"/>).</exception>
    public static GlomoConfig FromJson(string json, string source = "config.json") => ConfigJson.Parse<GlomoConfig>(json, source).Validate(source);

    /// <summary>Serialises as config.json text.</summary>
    public string ToJson() => ConfigJson.Write(this);
}
