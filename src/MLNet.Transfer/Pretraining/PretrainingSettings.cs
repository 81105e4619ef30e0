using MLNet.Transfer.Training;

namespace MLNet.Transfer.Pretraining;

/// <summary>BERT masking proportions (defaults from the BERT paper).</summary>
public sealed record MaskingOptions
{
    /// <summary>Share of non-special tokens that are predicted. Default 0.15.</summary>
    public double Probability { get; init; } = 0.15;
    /// <summary>Share of predicted tokens replaced by [MASK]. Default 0.8.</summary>
    public double MaskTokenFraction { get; init; } = 0.8;
    /// <summary>Share of predicted tokens replaced by a random word piece (the rest stay unchanged). Default 0.1.</summary>
    public double RandomTokenFraction { get; init; } = 0.1;
    /// <summary>Mask every piece of a word together ("##" pieces follow their word). Default false.</summary>
    public bool WholeWordMasking { get; init; }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first bad value.</summary>
    public MaskingOptions Validate()
    {
        Check(Probability is > 0 and <= 1, nameof(Probability), Probability, "must be in (0, 1]");
        Check(MaskTokenFraction is >= 0 and <= 1, nameof(MaskTokenFraction), MaskTokenFraction, "must be in [0, 1]");
        Check(RandomTokenFraction >= 0 && MaskTokenFraction + RandomTokenFraction <= 1, nameof(RandomTokenFraction), RandomTokenFraction,
              "must be non-negative and at most 1 − MaskTokenFraction");
        return this;
    }

    internal static void Check(bool ok, string name, object value, string rule)
    {
        if (!ok) throw new ArgumentOutOfRangeException(name, value, $"{name} {rule}; got {value}.");
    }
}

/// <summary>
/// Hyperparameters of language-model pretraining or domain adaptation. Defaults suit adapting a small pretrained
/// encoder (e.g. MiniLM) on a CPU; training from scratch wants a larger rate (≈5e-4) and many more steps.
/// </summary>
public sealed record PretrainingSettings
{
    /// <summary>Masked (BERT) or causal (next-token) objective. Default masked.</summary>
    public LanguageModelObjective Objective { get; init; } = LanguageModelObjective.MaskedLm;
    /// <summary>Optimisation steps; 0 (default) means one pass over the training text. The data is reshuffled on every pass.</summary>
    public int Steps { get; init; }
    /// <summary>Texts (or windows of long texts) per step. Default 32.</summary>
    public int BatchSize { get; init; } = 32;
    /// <summary>Tokens per sequence including [CLS]/[SEP]; longer texts are cut into consecutive windows, none is dropped. Default 128.</summary>
    public int MaxTokens { get; init; } = 128;
    /// <summary>Peak AdamW learning rate. Default 1e-4.</summary>
    public double LearningRate { get; init; } = 1e-4;
    /// <summary>
    /// Extra steps before <see cref="Steps"/> that train only the head's transform and bias, with the encoder and the
    /// tied embeddings frozen, at <see cref="HeadWarmupLearningRate"/> (constant). Use it when the head starts random
    /// (<see cref="TransformerLanguageModel.HeadLoaded"/> false): its early, large gradients then never reach the pretrained encoder,
    /// and the held-out loss measured after it (<see cref="PretrainingResult.AfterHeadWarmup"/>) is a fair "before
    /// adaptation" baseline. Null (default) = automatic: min(200, <see cref="Steps"/>) when a pretrained encoder gets a
    /// random head, else none; 0 turns it off.
    /// </summary>
    public int? HeadWarmupSteps { get; init; }
    /// <summary>
    /// Before the first step, set the output layer's bias to the log frequency of each word piece in the training text
    /// (add-one smoothed), so the model starts from the unigram distribution instead of having to learn it — without this
    /// a recurrent model from scratch tends to encode word frequency in a saturated, input-independent top layer and
    /// stall there. The held-out loss before training is measured before this. Null (default) = automatic: on for
    /// models made from scratch, off for pretrained ones.
    /// </summary>
    public bool? UnigramOutputBias { get; init; }
    /// <summary>Learning rate of the head warm-up steps. Default 1e-3.</summary>
    public double HeadWarmupLearningRate { get; init; } = 1e-3;
    /// <summary>Learning-rate shape. Default linear warm-up and decay.</summary>
    public ScheduleKind Schedule { get; init; } = ScheduleKind.LinearWarmupDecay;
    /// <summary>Warm-up share of the steps. Default 0.1.</summary>
    public double WarmupFraction { get; init; } = 0.1;
    /// <summary>Per-block rate factor below the top block (1 = same rate everywhere, the default; see <see cref="ParameterGroups"/>).</summary>
    public double LayerLearningRateDecay { get; init; } = 1.0;
    /// <summary>AdamW decoupled weight decay, not applied to biases and LayerNorm weights. Default 0.01.</summary>
    public double WeightDecay { get; init; } = 0.01;
    /// <summary>Gradient-norm clipping threshold; 0 turns it off. Default 1.</summary>
    public double MaxGradNorm { get; init; } = 1.0;
    /// <summary>
    /// Weight of an unsupervised SimCSE term added to the language-model loss (0 = off, the default): each training
    /// text is also encoded twice with dropout, mean-pooled, and must recognise its twin among the batch. Use it when
    /// adapting a sentence encoder (all-MiniLM-L6-v2, arctic-embed) whose pooled embeddings downstream tasks rely on:
    /// the language-model objective alone pulls the encoder away from that space. Costs two more forward passes per
    /// step. See <see cref="ContrastiveTemperature"/>.
    /// </summary>
    public double ContrastiveWeight { get; init; }
    /// <summary>Softmax temperature of the <see cref="ContrastiveWeight"/> term's cosine similarities. Default 0.05 (SimCSE's).</summary>
    public double ContrastiveTemperature { get; init; } = 0.05;
    /// <summary>Masking proportions for the masked objective.</summary>
    public MaskingOptions Masking { get; init; } = new();
    /// <summary>Share of the corpus lines held out (never trained on) to measure loss before and after. Default 0.05.</summary>
    public double ValidFraction { get; init; } = 0.05;
    /// <summary>Also evaluate the held-out text every this many steps (0 = only before and after, the default).</summary>
    public int EvaluateEverySteps { get; init; }
    /// <summary>Seed for the held-out split, its fixed masking, shuffling, training masks, head initialisation and dropout. Default 42.</summary>
    public int Seed { get; init; } = 42;
    /// <summary>Folder for resumable checkpoints (null = none). A run finding a checkpoint there resumes from it.</summary>
    public string? CheckpointDirectory { get; init; }
    /// <summary>Write a checkpoint every this many steps (needs <see cref="CheckpointDirectory"/>). Default 500.</summary>
    public int CheckpointEverySteps { get; init; } = 500;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first bad value.</summary>
    /// <param name="maxPositions">The model's max_position_embeddings.</param>
    public PretrainingSettings Validate(int maxPositions)
    {
        MaskingOptions.Check(Enum.IsDefined(Objective), nameof(Objective), Objective, "is not a known objective");
        MaskingOptions.Check(Steps >= 0, nameof(Steps), Steps, "must be 0 (one pass) or positive");
        MaskingOptions.Check(BatchSize >= 1, nameof(BatchSize), BatchSize, "must be at least 1");
        MaskingOptions.Check(MaxTokens >= 3 && MaxTokens <= maxPositions, nameof(MaxTokens), MaxTokens,
                             $"must be between 3 and the model's max_position_embeddings ({maxPositions})");
        MaskingOptions.Check(LearningRate > 0 && double.IsFinite(LearningRate), nameof(LearningRate), LearningRate, "must be a positive number");
        MaskingOptions.Check(HeadWarmupSteps is null or >= 0, nameof(HeadWarmupSteps), HeadWarmupSteps ?? 0, "must be null (automatic), 0 (off) or positive");
        MaskingOptions.Check(HeadWarmupLearningRate > 0 && double.IsFinite(HeadWarmupLearningRate), nameof(HeadWarmupLearningRate), HeadWarmupLearningRate, "must be a positive number");
        MaskingOptions.Check(WarmupFraction is >= 0 and < 1, nameof(WarmupFraction), WarmupFraction, "must be in [0, 1)");
        MaskingOptions.Check(LayerLearningRateDecay is > 0 and <= 1, nameof(LayerLearningRateDecay), LayerLearningRateDecay, "must be in (0, 1]");
        MaskingOptions.Check(WeightDecay >= 0, nameof(WeightDecay), WeightDecay, "must not be negative");
        MaskingOptions.Check(MaxGradNorm >= 0, nameof(MaxGradNorm), MaxGradNorm, "must not be negative");
        MaskingOptions.Check(ContrastiveWeight >= 0 && double.IsFinite(ContrastiveWeight), nameof(ContrastiveWeight), ContrastiveWeight, "must be 0 (off) or a positive number");
        MaskingOptions.Check(ContrastiveTemperature > 0 && double.IsFinite(ContrastiveTemperature), nameof(ContrastiveTemperature), ContrastiveTemperature, "must be a positive number");
        MaskingOptions.Check(ValidFraction is > 0 and < 1, nameof(ValidFraction), ValidFraction, "must be in (0, 1)");
        MaskingOptions.Check(EvaluateEverySteps >= 0, nameof(EvaluateEverySteps), EvaluateEverySteps, "must not be negative");
        MaskingOptions.Check(CheckpointEverySteps >= 1, nameof(CheckpointEverySteps), CheckpointEverySteps, "must be at least 1");
        (Masking ?? throw new ArgumentNullException(nameof(Masking))).Validate();
        return this;
    }
}
