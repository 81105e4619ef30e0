using MLNet.Transfer.Pretraining;
using MLNet.Transfer.Training;

namespace MLNet.Transfer.MLNetIntegration;

/// <summary>
/// Options of <c>mlContext.Transforms.Text.AdaptLanguageModel</c>: the featurizer to produce (<see cref="Embeddings"/>) and
/// the language-model training hyperparameters (see <see cref="PretrainingSettings"/> for their meaning). The defaults are
/// the recipe that measured best for few-shot features from the shipped sentence encoders: 600 masked-LM steps at 5e-5
/// with the SimCSE term (<see cref="ContrastiveWeight"/> = 1) that keeps their pooled embeddings usable; longer or faster
/// masked-LM-only adaptation made those embeddings worse (README).
/// </summary>
public sealed class LanguageModelAdaptationOptions
{
    /// <summary>The encoder to adapt (model name, directory or loaded encoder — copied, never changed), the unlabelled text column (InputColumnName) and the embeddings produced afterwards.</summary>
    public ContextualEmbeddingOptions Embeddings { get; set; } = new();
    /// <inheritdoc cref="PretrainingSettings.Objective"/>
    public LanguageModelObjective Objective { get; set; } = LanguageModelObjective.MaskedLm;
    /// <summary>Optimisation steps; 0 means one pass over the training text. Default 600.</summary>
    public int Steps { get; set; } = 600;
    /// <inheritdoc cref="PretrainingSettings.BatchSize"/>
    public int BatchSize { get; set; } = 32;
    /// <inheritdoc cref="PretrainingSettings.MaxTokens"/>
    public int MaxTokens { get; set; } = 128;
    /// <summary>Peak AdamW learning rate. Default 5e-5.</summary>
    public double LearningRate { get; set; } = 5e-5;
    /// <inheritdoc cref="PretrainingSettings.HeadWarmupSteps"/>
    public int? HeadWarmupSteps { get; set; }
    /// <inheritdoc cref="PretrainingSettings.HeadWarmupLearningRate"/>
    public double HeadWarmupLearningRate { get; set; } = 1e-3;
    /// <inheritdoc cref="PretrainingSettings.UnigramOutputBias"/>
    public bool? UnigramOutputBias { get; set; }
    /// <inheritdoc cref="PretrainingSettings.Schedule"/>
    public ScheduleKind Schedule { get; set; } = ScheduleKind.LinearWarmupDecay;
    /// <inheritdoc cref="PretrainingSettings.WarmupFraction"/>
    public double WarmupFraction { get; set; } = 0.1;
    /// <inheritdoc cref="PretrainingSettings.LayerLearningRateDecay"/>
    public double LayerLearningRateDecay { get; set; } = 1.0;
    /// <inheritdoc cref="PretrainingSettings.WeightDecay"/>
    public double WeightDecay { get; set; } = 0.01;
    /// <inheritdoc cref="PretrainingSettings.MaxGradNorm"/>
    public double MaxGradNorm { get; set; } = 1.0;
    /// <summary>Weight of the SimCSE term added to the language-model loss (0 = off; see <see cref="PretrainingSettings.ContrastiveWeight"/>). Default 1.</summary>
    public double ContrastiveWeight { get; set; } = 1;
    /// <inheritdoc cref="PretrainingSettings.ContrastiveTemperature"/>
    public double ContrastiveTemperature { get; set; } = 0.05;
    /// <inheritdoc cref="PretrainingSettings.Masking"/>
    public MaskingOptions Masking { get; set; } = new();
    /// <inheritdoc cref="PretrainingSettings.ValidFraction"/>
    public double ValidFraction { get; set; } = 0.05;
    /// <inheritdoc cref="PretrainingSettings.EvaluateEverySteps"/>
    public int EvaluateEverySteps { get; set; }
    /// <inheritdoc cref="PretrainingSettings.Seed"/>
    public int Seed { get; set; } = 42;
    /// <inheritdoc cref="PretrainingSettings.CheckpointDirectory"/>
    public string? CheckpointDirectory { get; set; }
    /// <inheritdoc cref="PretrainingSettings.CheckpointEverySteps"/>
    public int CheckpointEverySteps { get; set; } = 500;
    /// <summary>Receives a report after every step and evaluation.</summary>
    public IProgress<TrainingProgress>? Progress { get; set; }
    /// <summary>Cancels the adaptation.</summary>
    public CancellationToken CancellationToken { get; set; }

    /// <summary>The training hyperparameters as <see cref="PretrainingSettings"/> (validated by the trainer).</summary>
    internal PretrainingSettings ToSettings() => new()
    {
        Objective = Objective, Steps = Steps, BatchSize = BatchSize, MaxTokens = MaxTokens, LearningRate = LearningRate,
        HeadWarmupSteps = HeadWarmupSteps, HeadWarmupLearningRate = HeadWarmupLearningRate, UnigramOutputBias = UnigramOutputBias,
        Schedule = Schedule, WarmupFraction = WarmupFraction, LayerLearningRateDecay = LayerLearningRateDecay, WeightDecay = WeightDecay,
        MaxGradNorm = MaxGradNorm, ContrastiveWeight = ContrastiveWeight, ContrastiveTemperature = ContrastiveTemperature, Masking = Masking,
        ValidFraction = ValidFraction, EvaluateEverySteps = EvaluateEverySteps, Seed = Seed, CheckpointDirectory = CheckpointDirectory,
        CheckpointEverySteps = CheckpointEverySteps,
    };
}
