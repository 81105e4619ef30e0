using Microsoft.ML;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.Models;
using MLNet.Transfer.Text;
using MLNet.Transfer.Training;

namespace MLNet.Transfer.MLNetIntegration;

/// <summary>
/// What every fine-tuning estimator shares: the text column(s), the encoder to start from, tokenization, the training
/// hyperparameters (see <see cref="FineTuneSettings"/> for their meaning), validation data, progress and cancellation.
/// Defaults suit all-MiniLM-L6-v2 on a CPU.
/// </summary>
public abstract class TextFineTuningOptions
{
    /// <summary>Text column. Default "Text".</summary>
    public string TextColumnName { get; set; } = "Text";
    /// <summary>Optional second text column for sentence-pair tasks.</summary>
    public string? SecondTextColumnName { get; set; }
    /// <summary>Embedded model name or Hugging Face directory to start from. Default "minilm".</summary>
    public string Model { get; set; } = "minilm";
    /// <summary>Start from this loaded encoder instead (it is copied, never changed).</summary>
    public PretrainedEncoder? Encoder { get; set; }
    /// <summary>"cpu" (default), "cuda" or "cuda:N".</summary>
    public string Device { get; set; } = "cpu";
    /// <summary>Optional validation data (same columns) for early stopping and best-weight restore.</summary>
    public IDataView? ValidationSet { get; set; }
    /// <summary>What to keep of texts longer than <see cref="MaxTokens"/>: head, tail or head+tail (strongest for long reviews). Default head.</summary>
    public TruncationStrategy Truncation { get; set; } = TruncationStrategy.Head;

    /// <summary>
    /// Prediction on long texts: &gt; 0 splits a text longer than <see cref="MaxTokens"/> into overlapping windows this
    /// many word pieces apart and averages the heads' logits over them, so the whole text counts (training still uses
    /// <see cref="Truncation"/>). Default 0 (off). Not used with a second text column.
    /// </summary>
    public int PredictionWindowStride { get; set; }

    /// <inheritdoc cref="FineTuneSettings.LearningRate"/>
    public double LearningRate { get; set; } = 1e-4;
    /// <inheritdoc cref="FineTuneSettings.Epochs"/>
    public int Epochs { get; set; } = 3;
    /// <inheritdoc cref="FineTuneSettings.BatchSize"/>
    public int BatchSize { get; set; } = 32;
    /// <inheritdoc cref="FineTuneSettings.MaxTokens"/>
    public int MaxTokens { get; set; } = 128;
    /// <inheritdoc cref="FineTuneSettings.Schedule"/>
    public ScheduleKind Schedule { get; set; } = ScheduleKind.LinearWarmupDecay;
    /// <inheritdoc cref="FineTuneSettings.WarmupFraction"/>
    public double WarmupFraction { get; set; } = 0.1;
    /// <inheritdoc cref="FineTuneSettings.LayerLearningRateDecay"/>
    public double LayerLearningRateDecay { get; set; } = 1.0;
    /// <inheritdoc cref="FineTuneSettings.UnfreezeBlocksPerEpoch"/>
    public int UnfreezeBlocksPerEpoch { get; set; }
    /// <inheritdoc cref="FineTuneSettings.WeightDecay"/>
    public double WeightDecay { get; set; } = 0.01;
    /// <inheritdoc cref="FineTuneSettings.HeadDropout"/>
    public double HeadDropout { get; set; } = 0.1;
    /// <inheritdoc cref="FineTuneSettings.MaxGradNorm"/>
    public double MaxGradNorm { get; set; } = 1.0;
    /// <inheritdoc cref="FineTuneSettings.Pooling"/>
    public PoolingMode Pooling { get; set; } = PoolingMode.Mean;
    /// <inheritdoc cref="FineTuneSettings.BalanceClasses"/>
    public bool BalanceClasses { get; set; }
    /// <inheritdoc cref="FineTuneSettings.EvaluateEverySteps"/>
    public int EvaluateEverySteps { get; set; }
    /// <inheritdoc cref="FineTuneSettings.EarlyStoppingPatience"/>
    public int EarlyStoppingPatience { get; set; }
    /// <inheritdoc cref="FineTuneSettings.RestoreBestWeights"/>
    public bool RestoreBestWeights { get; set; } = true;
    /// <inheritdoc cref="FineTuneSettings.Seed"/>
    public int Seed { get; set; } = 42;
    /// <inheritdoc cref="FineTuneSettings.CheckpointDirectory"/>
    public string? CheckpointDirectory { get; set; }
    /// <inheritdoc cref="FineTuneSettings.CheckpointEverySteps"/>
    public int CheckpointEverySteps { get; set; }
    /// <summary>Receives a report after every step and evaluation (loss, learning rate, throughput, ETA, validation metrics).</summary>
    public IProgress<TrainingProgress>? Progress { get; set; }
    /// <summary>Cancels training (an OperationCanceledException; checkpoints already written stay).</summary>
    public CancellationToken CancellationToken { get; set; }

    /// <summary>Rejects undefined enum values by name before any work (the training settings are checked by <see cref="FineTuneSettings.Validate"/>).</summary>
    internal void CheckChoices()
    {
        if (PredictionWindowStride < 0 || PredictionWindowStride > MaxTokens - 2)
            throw new ArgumentOutOfRangeException(nameof(PredictionWindowStride), PredictionWindowStride, $"PredictionWindowStride must be between 0 (off) and MaxTokens - 2 ({MaxTokens - 2}); got {PredictionWindowStride}.");
        if (!Enum.IsDefined(Truncation))
            throw new ArgumentOutOfRangeException(nameof(Truncation), Truncation, $"Truncation must be one of {string.Join(", ", Enum.GetNames<TruncationStrategy>())}; got {Truncation}.");
    }

    /// <summary>The training hyperparameters as <see cref="FineTuneSettings"/>.</summary>
    internal virtual FineTuneSettings ToSettings() => new()
    {
        LearningRate = LearningRate, Epochs = Epochs, BatchSize = BatchSize, MaxTokens = MaxTokens, Schedule = Schedule,
        WarmupFraction = WarmupFraction, LayerLearningRateDecay = LayerLearningRateDecay, UnfreezeBlocksPerEpoch = UnfreezeBlocksPerEpoch,
        WeightDecay = WeightDecay, HeadDropout = HeadDropout, MaxGradNorm = MaxGradNorm, Pooling = Pooling, BalanceClasses = BalanceClasses,
        EvaluateEverySteps = EvaluateEverySteps, EarlyStoppingPatience = EarlyStoppingPatience, RestoreBestWeights = RestoreBestWeights,
        Seed = Seed, CheckpointDirectory = CheckpointDirectory, CheckpointEverySteps = CheckpointEverySteps,
    };
}
