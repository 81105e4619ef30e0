using Microsoft.ML;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.Models;
using MLNet.Transfer.Models.Heads;
using MLNet.Transfer.Text;
using MLNet.Transfer.Training;
using MLNet.Transfer.Training.SemiSupervised;

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
    /// <summary>
    /// Sentence pairs without a natural order (similarity, paraphrase): score each pair on both orderings, text + second text
    /// and second text + text, and add the two pooled vectors before the heads — the OpenAI transformer's (GPT-1) input
    /// transformation for similarity — in training and prediction, so a pair gets the same score in either order (at twice the
    /// encoder work). Needs <see cref="SecondTextColumnName"/>; saved with the model. Default false (one ordering).
    /// </summary>
    public bool SymmetricPairs { get; set; }
    /// <summary>Embedded model name or Hugging Face directory to start from. Default "minilm".</summary>
    public string Model { get; set; } = "minilm";
    /// <summary>Start from this loaded encoder instead (it is copied, never changed).</summary>
    public PretrainedEncoder? Encoder { get; set; }
    /// <summary>"cpu" (default), "cuda" or "cuda:N".</summary>
    public string Device { get; set; } = "cpu";
    /// <summary>Optional validation data (same columns) for early stopping and best-weight restore.</summary>
    public IDataView? ValidationSet { get; set; }
    /// <summary>
    /// What to keep of texts longer than <see cref="MaxTokens"/>: head, tail or head+tail (strongest for long reviews).
    /// Default null: head+tail when more than 5% of the training texts are longer than MaxTokens, else head.
    /// </summary>
    public TruncationStrategy? Truncation { get; set; }

    /// <summary>
    /// Prediction on long texts: &gt; 0 splits a text longer than <see cref="MaxTokens"/> into overlapping windows this
    /// many word pieces apart and averages the heads' logits over them, so the whole text counts (training still uses
    /// <see cref="Truncation"/>); 0 turns it off. Default null: MaxTokens / 2 when some training text is longer than
    /// MaxTokens, else 0. Not used with a second text column.
    /// </summary>
    public int? PredictionWindowStride { get; set; }

    /// <summary>
    /// Binary tasks: tune the decision threshold on <see cref="ValidationSet"/> for the F1 of the minority class and use it
    /// for PredictedLabel (stored in the model). Default null: on when the classes are imbalanced (2.5:1 or more) and
    /// validation data is given. Ignored when <see cref="DecisionThreshold"/> is set.
    /// </summary>
    public bool? TuneThreshold { get; set; }

    /// <summary>Binary tasks: PredictedLabel is true when Probability exceeds this value (0–1). Default null: 0.5, or tuned (see <see cref="TuneThreshold"/>).</summary>
    public double? DecisionThreshold { get; set; }

    /// <summary>
    /// Which runtime computes the fitted model's predictions (Transform, PredictionEngine; training always runs on
    /// LibTorch). Default <see cref="InferenceEngine.Auto"/>: ONNX Runtime over the library's own export of the model when
    /// it can run it (a BERT-family encoder on the CPU), else LibTorch; outputs agree to float rounding. Saved with the model.
    /// </summary>
    public InferenceEngine InferenceEngine { get; set; } = InferenceEngine.Auto;

    /// <summary>
    /// Unlabelled texts (a data view with the text column, <see cref="TextFineTuningOptions.TextColumnName"/>) for
    /// semi-supervised fine-tuning of the binary and multiclass tasks (in a multi-task model, every such task, and every
    /// tagging task, which reads each text split at white space into words, as the token classifier reads unlabelled
    /// plain text; regression and multi-label tasks learn from their labels only); null (default) = supervised only. How
    /// they are used is <see cref="SemiSupervised"/>.
    /// </summary>
    public IDataView? UnlabeledData { get; set; }
    /// <summary>
    /// The method (self-training or UDA-style consistency training) and its settings, used when <see cref="UnlabeledData"/>
    /// is given. Default: self-training, one round, confidence 0.9, class-balanced hard pseudo-labels.
    /// </summary>
    public SemiSupervisedSettings SemiSupervised { get; set; } = new();
    /// <summary>Self-training: receives one report per round (pseudo-labels per class, validation score, whether it is kept).</summary>
    public IProgress<SemiSupervisedRound>? SemiSupervisedProgress { get; set; }

    /// <summary>Called once before training with the settings chosen from the data (see <see cref="DataAwareDefaults"/>).</summary>
    public Action<DataAwareDefaults>? DefaultsChosen { get; set; }

    /// <inheritdoc cref="FineTuneSettings.LearningRate"/>
    public double LearningRate { get; set; } = 1e-4;
    /// <summary>Passes over the training data. Default null: at least 3 epochs and 200 steps (at most 10 epochs, unless that is fewer than 30 steps), at most 4,000 steps.</summary>
    public int? Epochs { get; set; }
    /// <summary>Sequences per optimisation step. Default null: 16 below 2,000 training examples, else 32.</summary>
    public int? BatchSize { get; set; }
    /// <summary>
    /// Token-budget batching (see <see cref="FineTuneSettings.TokensPerBatch"/>): N &gt; 0 makes each step as many texts of
    /// similar length as fit in N padded tokens, at most 4 × <see cref="BatchSize"/>, so short texts train in fewer, fuller
    /// steps. Default null (= 0): every step is <see cref="BatchSize"/> texts — at the same learning rate the budget's fewer
    /// steps cost accuracy (measured in docs/performance.md).
    /// </summary>
    public int? TokensPerBatch { get; set; }
    /// <summary>
    /// Arithmetic of the encoder's matrix products in training (see <see cref="TrainingPrecision"/>). Default
    /// <see cref="TrainingPrecision.Auto"/>: bf16 mixed precision (fp32 master weights, loss and optimizer state) where the
    /// CPU has bf16 units, about twice as fast there, with the same validation accuracy within 0.3 points in the checks of
    /// docs/performance.md; fp32 elsewhere. <see cref="TrainingPrecision.Float32"/> gives bit-identical runs across CPUs of
    /// either kind. Prediction is unaffected (<see cref="InferenceEngine"/>).
    /// </summary>
    public TrainingPrecision Precision { get; set; } = TrainingPrecision.Auto;
    /// <summary>
    /// Token budget per text including [CLS]/[SEP]. Default null: the training texts' 99th length percentile rounded up
    /// to a multiple of 16 (at least 32), at most 512 and the model's maximum.
    /// </summary>
    public int? MaxTokens { get; set; }
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
    /// <summary>
    /// λ of the OpenAI transformer's (GPT-1) auxiliary language-model objective: fine-tuning minimises L_task + λ · L_LM, with
    /// L_LM the next-token loss of the batch's training texts from the same forward pass, through the language-model head
    /// saved with the model (a fresh one when the directory has none). Causal (is_decoder) encoders only, e.g. one trained
    /// by <c>pretrain --objective clm</c>; a positive value with a masked (bidirectional) or recurrent encoder is refused
    /// (a masked LM would need a second, masked forward pass per batch: adapt such an encoder beforehand instead). 0 turns
    /// it off and trains exactly as without it. Default null: <see cref="DefaultAuxiliaryLanguageModelWeight"/> (0.5, the
    /// paper's) for a causal encoder, else 0. See docs/results.md for what it did on AG News.
    /// </summary>
    public double? AuxiliaryLanguageModelWeight { get; set; }
    /// <summary>The auxiliary language-model weight a causal encoder gets when <see cref="AuxiliaryLanguageModelWeight"/> is null: 0.5.</summary>
    public const double DefaultAuxiliaryLanguageModelWeight = 0.5;
    /// <summary>Weigh classes by inverse frequency in the loss. Default null: on when the classes are imbalanced (2.5:1 or more).</summary>
    public bool? BalanceClasses { get; set; }
    /// <inheritdoc cref="FineTuneSettings.EvaluateEverySteps"/>
    public int EvaluateEverySteps { get; set; }
    /// <inheritdoc cref="FineTuneSettings.EarlyStoppingPatience"/>
    public int EarlyStoppingPatience { get; set; }
    /// <summary>
    /// Keep the weights of the best validation evaluation instead of the last ones. Default null: on, unless the
    /// validation data has fewer than 50 examples (too few to choose weights by).
    /// </summary>
    public bool? RestoreBestWeights { get; set; }
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

    /// <summary>Rejects undefined enum values and out-of-range choices by name before any work (the training settings are checked by <see cref="FineTuneSettings.Validate"/>).</summary>
    internal void CheckChoices()
    {
        if (Truncation is { } t && !Enum.IsDefined(t))
            throw new ArgumentOutOfRangeException(nameof(Truncation), t, $"Truncation must be one of {string.Join(", ", Enum.GetNames<TruncationStrategy>())}; got {t}.");
        if (TokensPerBatch is { } budget && budget < 0)
            throw new ArgumentOutOfRangeException(nameof(TokensPerBatch), budget, $"TokensPerBatch must be 0 (off) or positive; got {budget}.");
        if (BatchSize is { } b && b < 1) // checked here too: the data-aware epoch choice divides by it before FineTuneSettings.Validate runs
            throw new ArgumentOutOfRangeException(nameof(BatchSize), b, $"BatchSize must be at least 1; got {b}.");
        if (AuxiliaryLanguageModelWeight is { } w && !(w >= 0 && double.IsFinite(w)))
            throw new ArgumentOutOfRangeException(nameof(AuxiliaryLanguageModelWeight), w, $"AuxiliaryLanguageModelWeight must be 0 (off) or a positive number; got {w}.");
        if (SymmetricPairs && SecondTextColumnName is null)
            throw new ArgumentException("SymmetricPairs scores a pair on both orderings: set SecondTextColumnName to the column of the pairs' second texts.", nameof(SymmetricPairs));
        if (SymmetricPairs && UnlabeledData is not null)
            throw new ArgumentException("Semi-supervised fine-tuning (UnlabeledData) reads single texts; it cannot be combined with SymmetricPairs.", nameof(SymmetricPairs));
        if (DecisionThreshold is { } p && !(p > 0 && p < 1))
            throw new ArgumentOutOfRangeException(nameof(DecisionThreshold), p, $"DecisionThreshold must be a probability strictly between 0 and 1; got {p}.");
    }

    /// <summary>The user's explicit choices; null ones are chosen from the data.</summary>
    internal TrainingRequest Request() => new()
    {
        MaxTokens = MaxTokens, Truncation = Truncation, PredictionWindowStride = PredictionWindowStride, BatchSize = BatchSize,
        TokensPerBatch = TokensPerBatch, Epochs = Epochs, BalanceClasses = BalanceClasses, TuneThreshold = DecisionThreshold is null ? TuneThreshold : false,
        RestoreBestWeights = RestoreBestWeights,
    };

    /// <summary>Checks the window stride once MaxTokens is known.</summary>
    internal static void CheckWindowStride(DataAwareDefaults d)
    {
        if (d.PredictionWindowStride < 0 || d.PredictionWindowStride > d.MaxTokens - 2)
            throw new ArgumentOutOfRangeException(nameof(PredictionWindowStride), d.PredictionWindowStride, $"PredictionWindowStride must be between 0 (off) and MaxTokens - 2 ({d.MaxTokens - 2}); got {d.PredictionWindowStride}.");
    }

    /// <summary>The auxiliary language-model weight for <paramref name="encoder"/>: the user's, else 0.5 for a causal encoder and 0 for the rest.</summary>
    internal double AuxiliaryWeightFor(TextEncoder encoder) =>
        AuxiliaryLanguageModelWeight ?? (NextTokenLoss.AppliesTo(encoder) ? DefaultAuxiliaryLanguageModelWeight : 0);

    /// <summary>The training hyperparameters as <see cref="FineTuneSettings"/>, with the data-aware choices in <paramref name="d"/> (the auxiliary weight is set by <see cref="AuxiliaryWeightFor"/>).</summary>
    internal virtual FineTuneSettings ToSettings(DataAwareDefaults d) => new()
    {
        LearningRate = LearningRate, Epochs = d.Epochs, BatchSize = d.BatchSize, TokensPerBatch = d.TokensPerBatch, Precision = Precision,
        MaxTokens = d.MaxTokens, Schedule = Schedule,
        WarmupFraction = WarmupFraction, LayerLearningRateDecay = LayerLearningRateDecay, UnfreezeBlocksPerEpoch = UnfreezeBlocksPerEpoch,
        WeightDecay = WeightDecay, HeadDropout = HeadDropout, MaxGradNorm = MaxGradNorm, Pooling = Pooling, BalanceClasses = d.BalanceClasses,
        EvaluateEverySteps = EvaluateEverySteps, EarlyStoppingPatience = EarlyStoppingPatience, RestoreBestWeights = d.RestoreBestWeights,
        Seed = Seed, CheckpointDirectory = CheckpointDirectory, CheckpointEverySteps = CheckpointEverySteps,
    };
}
