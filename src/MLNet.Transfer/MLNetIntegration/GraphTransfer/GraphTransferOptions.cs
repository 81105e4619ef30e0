using MLNet.Transfer.Encoders;
using MLNet.Transfer.Training;

namespace MLNet.Transfer.MLNetIntegration;

/// <summary>
/// Options of <c>mlContext.BinaryClassification.Trainers.GraphTransfer</c> and
/// <c>mlContext.MulticlassClassification.Trainers.GraphTransfer</c>, the GLoMo-style (reduced) graph transfer: the graph
/// model, which graphs to apply (for ablations), the encoder whose word-piece embeddings are the token features, the columns,
/// and the training settings (see <see cref="GraphTransferSettings"/>).
/// </summary>
public sealed class GraphTransferOptions
{
    /// <summary>
    /// The GLoMo-style graph model directory written by <c>mlnet-transfer pretrain --model scratch --arch glomo</c> (or
    /// <c>GlomoLanguageModel.Save</c>). Required; its tokenizer encodes the texts for every <see cref="Graphs"/> choice.
    /// </summary>
    public string? GraphModelDirectory { get; set; }
    /// <summary>
    /// Which graphs are mixed into the token features: the pretrained ones (default), those of an untrained graph model of
    /// the same shape (<see cref="GraphSource.Random"/>), or none (<see cref="GraphSource.None"/>, the same classifier without
    /// graph mixing) — the two ablations that say whether the pretrained graphs help.
    /// </summary>
    public GraphSource Graphs { get; set; } = GraphSource.Pretrained;
    /// <summary>
    /// Seed of the untrained graph model when <see cref="Graphs"/> is <see cref="GraphSource.Random"/>. Default null:
    /// 1000 + <see cref="Seed"/>.
    /// </summary>
    public int? RandomGraphSeed { get; set; }
    /// <summary>
    /// Embedded model name or Hugging Face directory whose frozen word-piece embeddings are the token features the graphs
    /// reweight; its vocabulary must contain the graph model's (the default tokenizer of <c>pretrain</c> is MiniLM's). Default "minilm".
    /// </summary>
    public string Model { get; set; } = "minilm";
    /// <summary>Take the token features from this loaded encoder instead of <see cref="Model"/> (read, never changed).</summary>
    public PretrainedEncoder? Encoder { get; set; }
    /// <summary>Label column: Boolean (or 0/1) for binary; a key (MapValueToKey) or text for multiclass. Default "Label".</summary>
    public string LabelColumnName { get; set; } = "Label";
    /// <summary>Text column. Default "Text".</summary>
    public string TextColumnName { get; set; } = "Text";
    /// <summary>Score column: binary, the logit of the positive class; multiclass, the class probabilities. Default "Score".</summary>
    public string ScoreColumnName { get; set; } = "Score";
    /// <summary>Probability column (binary). Default "Probability".</summary>
    public string ProbabilityColumnName { get; set; } = "Probability";
    /// <summary>Predicted label column: Boolean (binary) or a key whose values are the class names (multiclass). Default "PredictedLabel".</summary>
    public string PredictedLabelColumnName { get; set; } = "PredictedLabel";
    /// <inheritdoc cref="GraphTransferSettings.Epochs"/>
    public int Epochs { get; set; } = Defaults.Epochs;
    /// <inheritdoc cref="GraphTransferSettings.BatchSize"/>
    public int BatchSize { get; set; } = Defaults.BatchSize;
    /// <inheritdoc cref="GraphTransferSettings.LearningRate"/>
    public double LearningRate { get; set; } = Defaults.LearningRate;
    /// <inheritdoc cref="GraphTransferSettings.HiddenSize"/>
    public int HiddenSize { get; set; } = Defaults.HiddenSize;
    /// <inheritdoc cref="GraphTransferSettings.MaxTokens"/>
    public int MaxTokens { get; set; } = Defaults.MaxTokens;
    /// <inheritdoc cref="GraphTransferSettings.Seed"/>
    public int Seed { get; set; } = Defaults.Seed;
    /// <inheritdoc cref="GraphTransferSettings.Progress"/>
    public IProgress<GraphTransferEpoch>? Progress { get; set; }

    private static readonly GraphTransferSettings Defaults = new();

    /// <summary>The training settings, validated.</summary>
    internal GraphTransferSettings ToSettings()
    {
        if (!Enum.IsDefined(Graphs)) throw new ArgumentOutOfRangeException(nameof(Graphs), Graphs, $"Graphs must be one of {string.Join(", ", Enum.GetNames<GraphSource>())}.");
        return new GraphTransferSettings
        {
            Epochs = Epochs, BatchSize = BatchSize, LearningRate = LearningRate, HiddenSize = HiddenSize, MaxTokens = MaxTokens, Seed = Seed, Progress = Progress,
        }.Validate();
    }

    /// <summary>The graph model directory, checked to be given.</summary>
    internal string RequireGraphModelDirectory() => string.IsNullOrWhiteSpace(GraphModelDirectory)
        ? throw new ArgumentException("GraphModelDirectory is required: a GLoMo-style graph model directory from `mlnet-transfer pretrain --model scratch --arch glomo`.", nameof(GraphModelDirectory))
        : GraphModelDirectory;
}
