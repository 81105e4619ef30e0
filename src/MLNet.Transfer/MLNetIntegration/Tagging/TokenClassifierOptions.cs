using Microsoft.ML;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.Models.Tagging;
using MLNet.Transfer.Training;
using MLNet.Transfer.Training.SemiSupervised;

namespace MLNet.Transfer.MLNetIntegration;

/// <summary>
/// Options of <c>mlContext.MulticlassClassification.Trainers.FineTuneTokenClassifier</c>: the columns, the encoder, the head,
/// and the training hyperparameters (see <see cref="FineTuneSettings"/> for their meaning). Defaults suit all-MiniLM-L6-v2
/// on a CPU.
/// </summary>
public sealed class TokenClassifierOptions
{
    /// <summary>Words column: a vector of text, one sentence per row (e.g. from <c>LoadFromConllFile</c>). Default "Tokens".</summary>
    public string TokensColumnName { get; set; } = "Tokens";
    /// <summary>Tags column: a vector of text or of keys (with KeyValues), one tag per word. Default "Tags".</summary>
    public string LabelColumnName { get; set; } = "Tags";
    /// <summary>Output column of predicted tags: a vector of keys whose KeyValues are the tag names. Default "PredictedLabel".</summary>
    public string PredictedLabelColumnName { get; set; } = "PredictedLabel";
    /// <summary>Output column of per-word scores: the probability of each predicted tag. Default "Score".</summary>
    public string ScoreColumnName { get; set; } = "Score";
    /// <summary>Embedded model name or Hugging Face directory to start from. Default "minilm".</summary>
    public string Model { get; set; } = "minilm";
    /// <summary>Start from this loaded encoder instead (it is copied, never changed).</summary>
    public PretrainedEncoder? Encoder { get; set; }
    /// <summary>"cpu" (default), "cuda" or "cuda:N".</summary>
    public string Device { get; set; } = "cpu";
    /// <summary>Optional validation data (same columns) for early stopping and best-weight restore on entity F1.</summary>
    public IDataView? ValidationSet { get; set; }
    /// <summary>
    /// Linear softmax or CRF with BIO-constrained Viterbi decoding. Default null: CRF when the tags mark spans in the BIO
    /// scheme (entities: B-X / I-X), where decoding whole valid spans raises entity F1; linear otherwise (e.g.
    /// part-of-speech), where every word stands alone.
    /// </summary>
    public TaggingHead? Head { get; set; }

    /// <summary>The head for <paramref name="tags"/>: <see cref="Head"/>, or the data-aware choice.</summary>
    internal TaggingHead HeadFor(IReadOnlyList<string> tags) => Head ?? DefaultHead(tags);

    /// <summary>The data-aware head: CRF for BIO span tags, linear otherwise.</summary>
    internal static TaggingHead DefaultHead(IReadOnlyList<string> tags) => TagConstraints.IsBio(tags) ? TaggingHead.Crf : TaggingHead.Linear;
    /// <summary>
    /// The ELMo route: keep the encoder frozen and train only a scalar mix of its layers and the head (fast, no encoder
    /// gradients). Default false: fine-tune the whole encoder.
    /// </summary>
    public bool FreezeEncoder { get; set; }
    /// <summary>
    /// With <see cref="FreezeEncoder"/>: the width per direction of the bidirectional LSTM between the mixed features and
    /// the head (ELMo's tagger; 0 = none, the head reads the features directly). Default 256. Not used when fine-tuning.
    /// </summary>
    public int BiLstmHiddenSize { get; set; } = 256;
    /// <summary>
    /// Give the head each word's capitalisation class (lower, Title, UPPER, mixed, no letters) as a learned vector: the
    /// cue an uncased encoder such as all-MiniLM-L6-v2 cannot see. Default false.
    /// </summary>
    public bool CasingFeatures { get; set; }
    /// <summary>Peak learning rate. Default null: 1e-4 when fine-tuning, 1e-3 with <see cref="FreezeEncoder"/>.</summary>
    public double? LearningRate { get; set; }
    /// <summary>Learning rate of the CRF transition scores. Default 1e-2.</summary>
    public double CrfLearningRate { get; set; } = Training.Tagging.TaggerTrainer.DefaultCrfLearningRate;
    /// <summary>Passes over the training data. Default 3.</summary>
    public int Epochs { get; set; } = 3;
    /// <summary>Windows per optimisation step. Default 16.</summary>
    public int BatchSize { get; set; } = 16;
    /// <summary>Tokens per window including [CLS]/[SEP]; longer sentences are split into overlapping windows (never cut). Default 128.</summary>
    public int MaxTokens { get; set; } = 128;
    /// <inheritdoc cref="FineTuneSettings.Schedule"/>
    public ScheduleKind Schedule { get; set; } = ScheduleKind.LinearWarmupDecay;
    /// <inheritdoc cref="FineTuneSettings.WarmupFraction"/>
    public double WarmupFraction { get; set; } = 0.1;
    /// <inheritdoc cref="FineTuneSettings.LayerLearningRateDecay"/>
    public double LayerLearningRateDecay { get; set; } = 1.0;
    /// <inheritdoc cref="FineTuneSettings.WeightDecay"/>
    public double WeightDecay { get; set; } = 0.01;
    /// <inheritdoc cref="FineTuneSettings.HeadDropout"/>
    public double HeadDropout { get; set; } = 0.1;
    /// <inheritdoc cref="FineTuneSettings.MaxGradNorm"/>
    public double MaxGradNorm { get; set; } = 1.0;
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
    /// <summary>
    /// Which runtime computes the trained tagger's forward passes (training always runs on LibTorch). Default
    /// <see cref="InferenceEngine.Auto"/>: ONNX Runtime over the library's own export of the tagger up to its emission
    /// scores when it can run it (a BERT-family encoder on the CPU), else LibTorch. Decoding is the same on every engine.
    /// </summary>
    public InferenceEngine InferenceEngine { get; set; } = InferenceEngine.Auto;
    /// <summary>
    /// Unlabelled sentences (a data view with the words column, <see cref="TokensColumnName"/>: a vector of text as in the
    /// tagged data, or text split at white space); null (default) = supervised only. Self-training (the default method): the
    /// teacher tags them, sentences whose least confident word reaches <see cref="SemiSupervisedSettings.ConfidenceThreshold"/>
    /// (at most <see cref="SemiSupervisedSettings.MaxPseudoLabelsPerClass"/> sentences) join the tagged ones, and the student
    /// trained on both is kept when it raises the validation F1 (see <see cref="TaggerSelfTraining"/>). Consistency training:
    /// every step adds the per-word KL divergence between the tags predicted for unlabelled sentences and for word-aligned
    /// TF-IDF-augmented copies (see <see cref="TaggerConsistencyObjective"/>).
    /// </summary>
    public IDataView? UnlabeledData { get; set; }
    /// <summary>
    /// Semi-supervised settings, used when <see cref="UnlabeledData"/> is given. <see cref="SemiSupervisedSettings.Method"/>:
    /// self-training (default; rounds, confidence — default 0.9 —, the sentence cap and student epochs apply) or consistency
    /// (confidence — default 0.8, per word —, sharpening, weight, annealing of the labelled word loss with a linear head — off unless set —,
    /// unlabelled batch ratio and augmentation rates apply). Soft labels are refused.
    /// </summary>
    public SemiSupervisedSettings SemiSupervised { get; set; } = new();
    /// <summary>Receives one report per self-training round (pseudo-labelled sentences, their words per tag, validation F1, kept).</summary>
    public IProgress<SemiSupervisedRound>? SemiSupervisedProgress { get; set; }
    /// <summary>Receives a report after every step and evaluation (validation keys: Precision, Recall, F1Score, TokenAccuracy).</summary>
    public IProgress<TrainingProgress>? Progress { get; set; }
    /// <summary>Cancels training (an OperationCanceledException).</summary>
    public CancellationToken CancellationToken { get; set; }

    /// <summary>The training settings, validated against the encoder's position limit.</summary>
    internal FineTuneSettings ToSettings(int maxPositions)
    {
        if (Head is { } head && !Enum.IsDefined(head)) throw new ArgumentOutOfRangeException(nameof(Head), head, $"Head must be one of {string.Join(", ", Enum.GetNames<TaggingHead>())}; got {head}.");
        if (BiLstmHiddenSize < 0) throw new ArgumentOutOfRangeException(nameof(BiLstmHiddenSize), BiLstmHiddenSize, $"BiLstmHiddenSize must be 0 (none) or positive; got {BiLstmHiddenSize}.");
        if (MaxTokens < 3) throw new ArgumentOutOfRangeException(nameof(MaxTokens), MaxTokens, $"MaxTokens must be at least 3 for tagging; got {MaxTokens}.");
        return new FineTuneSettings
        {
            LearningRate = LearningRate ?? (FreezeEncoder ? 1e-3 : 1e-4), Epochs = Epochs, BatchSize = BatchSize, MaxTokens = MaxTokens,
            Schedule = Schedule, WarmupFraction = WarmupFraction, LayerLearningRateDecay = LayerLearningRateDecay, WeightDecay = WeightDecay,
            HeadDropout = HeadDropout, MaxGradNorm = MaxGradNorm, EvaluateEverySteps = EvaluateEverySteps,
            EarlyStoppingPatience = EarlyStoppingPatience, RestoreBestWeights = RestoreBestWeights, Seed = Seed,
            CheckpointDirectory = CheckpointDirectory, CheckpointEverySteps = CheckpointEverySteps,
        }.Validate(maxPositions);
    }
}
