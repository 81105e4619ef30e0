using MLNet.Transfer.Models;
using MLNet.Transfer.Models.Heads;

namespace MLNet.Transfer.Training;

/// <summary>
/// Hyperparameters for fine-tuning an encoder with task heads. Defaults follow BERT / ULMFiT practice for
/// small encoders on a CPU; every value is validated by <see cref="Validate"/>.
/// </summary>
public sealed record FineTuneSettings
{
    /// <summary>Peak learning rate of the head and top block. Default 1e-4 (small 6-layer encoders tolerate more than BERT-base's 2e-5).</summary>
    public double LearningRate { get; init; } = 1e-4;
    /// <summary>Passes over the training data. Default 3.</summary>
    public int Epochs { get; init; } = 3;
    /// <summary>Sequences per optimisation step. Default 32.</summary>
    public int BatchSize { get; init; } = 32;
    /// <summary>Token budget per text including [CLS]/[SEP]. Default 128.</summary>
    public int MaxTokens { get; init; } = 128;
    /// <summary>
    /// Token-budget batching: 0 (default) makes every step <see cref="BatchSize"/> texts; a positive budget makes each step
    /// as many texts of similar length as fit in this many padded tokens (texts × the longest one's length), at most
    /// <see cref="MaxRowsPerBudgetBatch"/> × <see cref="BatchSize"/> (a longer text gets a step of its own). Short texts
    /// then train in fewer, fuller steps: e.g. a budget of 32 × 64 puts 128 SST-2 phrases of ~13 tokens in one step instead
    /// of 32. Deterministic for a <see cref="Seed"/>; the learning-rate schedule counts the steps the batches make.
    /// </summary>
    public int TokensPerBatch { get; init; }
    /// <summary>
    /// Arithmetic of the encoder's matrix products in training (see <see cref="TrainingPrecision"/>). Default
    /// <see cref="TrainingPrecision.Float32"/> here; the ML.NET trainers and the CLI default to
    /// <see cref="TrainingPrecision.Auto"/> (bf16 where the CPU has bf16 units).
    /// </summary>
    public TrainingPrecision Precision { get; init; } = TrainingPrecision.Float32;
    /// <summary>Learning-rate shape. Default linear warm-up and decay.</summary>
    public ScheduleKind Schedule { get; init; } = ScheduleKind.LinearWarmupDecay;
    /// <summary>Warm-up share of all steps (cut fraction for slanted triangular). Default 0.1.</summary>
    public double WarmupFraction { get; init; } = 0.1;
    /// <summary>Discriminative fine-tuning: each block below the top gets this factor of the rate above it (ULMFiT: 1/2.6 ≈ 0.38; common: 0.8–0.95). Default 1 (off).</summary>
    public double LayerLearningRateDecay { get; init; } = 1.0;
    /// <summary>
    /// Gradual unfreezing: 0 (default) trains everything from the start. With k &gt; 0 only the head trains in the first
    /// epoch, and each later epoch unfreezes k more blocks from the top (embeddings last). A large k freezes the encoder
    /// for exactly the first epoch.
    /// </summary>
    public int UnfreezeBlocksPerEpoch { get; init; }
    /// <summary>AdamW decoupled weight decay, not applied to biases and LayerNorm weights. Default 0.01.</summary>
    public double WeightDecay { get; init; } = 0.01;
    /// <summary>Dropout before the head. Default 0.1.</summary>
    public double HeadDropout { get; init; } = 0.1;
    /// <summary>Gradient-norm clipping threshold; 0 turns it off. Default 1.</summary>
    public double MaxGradNorm { get; init; } = 1.0;
    /// <summary>Pooling of the last layer's token states for the head. Default mean.</summary>
    public PoolingMode Pooling { get; init; } = PoolingMode.Mean;
    /// <summary>
    /// λ of the OpenAI transformer's (GPT-1) auxiliary language-model objective: each step minimises
    /// L_task + λ · L_LM, where L_LM is the causal next-token loss (<see cref="NextTokenLoss"/>) of the batch's own training
    /// texts, from the same forward pass. Needs a causal (is_decoder) encoder and a language-model head
    /// (<see cref="FineTuner.LanguageModelHead"/>). Default 0 (off).
    /// </summary>
    public double AuxiliaryLanguageModelWeight { get; init; }
    /// <summary>Weigh classes by inverse frequency in the loss (imbalanced data). Default false.</summary>
    public bool BalanceClasses { get; init; }
    /// <summary>Evaluate on validation data every this many steps (0 = at each epoch end). Default 0.</summary>
    public int EvaluateEverySteps { get; init; }
    /// <summary>Stop after this many evaluations without improvement (0 = never stop early). Default 0.</summary>
    public int EarlyStoppingPatience { get; init; }
    /// <summary>Put back the weights of the best validation evaluation at the end. Default true.</summary>
    public bool RestoreBestWeights { get; init; } = true;
    /// <summary>Seed for initialisation, shuffling and dropout; same seed and data give identical weights on CPU. Default 42.</summary>
    public int Seed { get; init; } = 42;
    /// <summary>Folder for resumable checkpoints (null = none). A run finding a checkpoint there resumes from it.</summary>
    public string? CheckpointDirectory { get; init; }
    /// <summary>Write a checkpoint every this many steps (needs <see cref="CheckpointDirectory"/>; 0 = at each epoch end). Default 0.</summary>
    public int CheckpointEverySteps { get; init; }

    /// <summary>Multi-task: how batches are drawn from the tasks' data sets. Default proportional (all examples mixed).</summary>
    public TaskSampling TaskSampling { get; init; } = TaskSampling.Proportional;
    /// <summary>Multi-task with <see cref="MLNet.Transfer.TaskSampling.Temperature"/>: T in p ∝ n^(1/T). Default 2.</summary>
    public double SamplingTemperature { get; init; } = 2;
    /// <summary>Multi-task: the task whose validation metric drives early stopping and best-weight restore (null = the mean over tasks).</summary>
    public string? EarlyStoppingTask { get; init; }

    /// <summary>With <see cref="TokensPerBatch"/>, a step holds at most this many times <see cref="BatchSize"/> texts.</summary>
    public const int MaxRowsPerBudgetBatch = 4;

    /// <summary>Whether training on <paramref name="device"/> multiplies in bf16 (<see cref="Precision"/>, with Auto resolved for this CPU).</summary>
    public bool UsesBFloat16(TorchSharp.torch.Device device) => Precision switch
    {
        TrainingPrecision.BFloat16Mixed => true,
        TrainingPrecision.Auto => device.type == TorchSharp.DeviceType.CPU && Runtime.CpuFeatures.HasBFloat16Units,
        _ => false,
    };

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first bad value.</summary>
    /// <param name="maxPositions">The model's max_position_embeddings.</param>
    /// <param name="tasks">The model's tasks, to check <see cref="EarlyStoppingTask"/> (null skips that check).</param>
    public FineTuneSettings Validate(int maxPositions, IReadOnlyList<TaskSpec>? tasks = null)
    {
        Check(LearningRate > 0 && double.IsFinite(LearningRate), nameof(LearningRate), LearningRate, "must be a positive number");
        Check(Epochs >= 1, nameof(Epochs), Epochs, "must be at least 1");
        Check(BatchSize >= 1, nameof(BatchSize), BatchSize, "must be at least 1");
        Check(MaxTokens >= 2 && MaxTokens <= maxPositions, nameof(MaxTokens), MaxTokens, $"must be between 2 and the model's max_position_embeddings ({maxPositions})");
        Check(TokensPerBatch >= 0, nameof(TokensPerBatch), TokensPerBatch, "must be 0 (off) or positive");
        Check(WarmupFraction is >= 0 and < 1, nameof(WarmupFraction), WarmupFraction, "must be in [0, 1)");
        Check(LayerLearningRateDecay is > 0 and <= 1, nameof(LayerLearningRateDecay), LayerLearningRateDecay, "must be in (0, 1]");
        Check(UnfreezeBlocksPerEpoch >= 0, nameof(UnfreezeBlocksPerEpoch), UnfreezeBlocksPerEpoch, "must be 0 (off) or positive");
        Check(WeightDecay >= 0, nameof(WeightDecay), WeightDecay, "must not be negative");
        Check(HeadDropout is >= 0 and < 1, nameof(HeadDropout), HeadDropout, "must be in [0, 1)");
        Check(AuxiliaryLanguageModelWeight >= 0 && double.IsFinite(AuxiliaryLanguageModelWeight), nameof(AuxiliaryLanguageModelWeight), AuxiliaryLanguageModelWeight, "must be 0 (off) or a positive number");
        Check(MaxGradNorm >= 0, nameof(MaxGradNorm), MaxGradNorm, "must not be negative");
        Check(EvaluateEverySteps >= 0, nameof(EvaluateEverySteps), EvaluateEverySteps, "must not be negative");
        Check(EarlyStoppingPatience >= 0, nameof(EarlyStoppingPatience), EarlyStoppingPatience, "must not be negative");
        Check(CheckpointEverySteps >= 0, nameof(CheckpointEverySteps), CheckpointEverySteps, "must not be negative");
        Check(SamplingTemperature > 0 && double.IsFinite(SamplingTemperature), nameof(SamplingTemperature), SamplingTemperature, "must be a positive number");
        if (tasks is not null && EarlyStoppingTask is not null)
            Check(tasks.Any(t => t.Name == EarlyStoppingTask), nameof(EarlyStoppingTask), EarlyStoppingTask, $"must name one of the tasks ({string.Join(", ", tasks.Select(t => t.Name))})");
        Check(Enum.IsDefined(Schedule), nameof(Schedule), Schedule, $"must be one of {string.Join(", ", Enum.GetNames<ScheduleKind>())}");
        Check(Enum.IsDefined(Precision), nameof(Precision), Precision, $"must be one of {string.Join(", ", Enum.GetNames<TrainingPrecision>())}");
        Check(Enum.IsDefined(Pooling), nameof(Pooling), Pooling, $"must be one of {string.Join(", ", Enum.GetNames<PoolingMode>())}");
        return this;
    }

    private static void Check(bool ok, string name, object value, string rule)
    {
        if (!ok) throw new ArgumentOutOfRangeException(name, value, $"{name} {rule}; got {value}.");
    }
}
