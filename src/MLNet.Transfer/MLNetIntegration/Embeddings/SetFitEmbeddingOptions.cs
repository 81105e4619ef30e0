using MLNet.Transfer.Encoders;
using MLNet.Transfer.Training;

namespace MLNet.Transfer.MLNetIntegration;

/// <summary>
/// Options of <c>mlContext.Transforms.Text.ApplySetFitEmbeddings</c>: the label column, the featurizer to tune and produce
/// (<see cref="Embeddings"/>) and the contrastive-tuning hyperparameters (see <see cref="ContrastiveSettings"/> for their
/// meaning; defaults follow SetFit).
/// </summary>
public sealed class SetFitEmbeddingOptions
{
    /// <summary>Class label column (Boolean, key, text or number) used to build same-class / other-class pairs. Default "Label".</summary>
    public string LabelColumnName { get; set; } = "Label";
    /// <summary>The embeddings to tune and produce (model, pooling, columns, max tokens, ...). The encoder given there is copied, never changed.</summary>
    public ContextualEmbeddingOptions Embeddings { get; set; } = new() { Normalize = true };
    /// <inheritdoc cref="ContrastiveSettings.LearningRate"/>
    public double LearningRate { get; set; } = 2e-5;
    /// <inheritdoc cref="ContrastiveSettings.Iterations"/>
    public int Iterations { get; set; } = 20;
    /// <inheritdoc cref="ContrastiveSettings.MaxPairs"/>
    public int MaxPairs { get; set; } = 2000;
    /// <inheritdoc cref="ContrastiveSettings.BatchSize"/>
    public int BatchSize { get; set; } = 16;
    /// <inheritdoc cref="ContrastiveSettings.WeightDecay"/>
    public double WeightDecay { get; set; } = 0.01;
    /// <inheritdoc cref="ContrastiveSettings.MaxGradNorm"/>
    public double MaxGradNorm { get; set; } = 1.0;
    /// <inheritdoc cref="ContrastiveSettings.Seed"/>
    public int Seed { get; set; } = 42;
    /// <summary>Receives a report after every contrastive step.</summary>
    public IProgress<TrainingProgress>? Progress { get; set; }
    /// <summary>Cancels the tuning.</summary>
    public CancellationToken CancellationToken { get; set; }

    /// <summary>
    /// The tuning hyperparameters as <see cref="ContrastiveSettings"/>, pooling as the embeddings pool with
    /// <paramref name="encoder"/> (unset: the encoder's own; validated by the tuner).
    /// </summary>
    internal ContrastiveSettings ToSettings(PretrainedEncoder encoder) => new()
    {
        LearningRate = LearningRate, Iterations = Iterations, MaxPairs = MaxPairs, BatchSize = BatchSize, Pooling = Embeddings.ToSettings(encoder).Pooling,
        WeightDecay = WeightDecay, MaxGradNorm = MaxGradNorm, Seed = Seed,
    };
}
