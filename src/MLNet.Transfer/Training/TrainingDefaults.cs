using MLNet.Transfer.Text;

namespace MLNet.Transfer.Training;

/// <summary>The training settings a user chose; null leaves the choice to <see cref="TrainingDefaults.Resolve"/>.</summary>
public sealed record TrainingRequest
{
    /// <summary>Token budget per text.</summary>
    public int? MaxTokens { get; init; }
    /// <summary>What to keep of longer texts.</summary>
    public TruncationStrategy? Truncation { get; init; }
    /// <summary>Windowed prediction stride (0 = off).</summary>
    public int? PredictionWindowStride { get; init; }
    /// <summary>Examples per step.</summary>
    public int? BatchSize { get; init; }
    /// <summary>Token budget per step (null or 0 = fixed batches of <see cref="BatchSize"/>; see <see cref="FineTuneSettings.TokensPerBatch"/>). Never chosen from the data.</summary>
    public int? TokensPerBatch { get; init; }
    /// <summary>Passes over the data.</summary>
    public int? Epochs { get; init; }
    /// <summary>Class-weighted loss.</summary>
    public bool? BalanceClasses { get; init; }
    /// <summary>Tune the binary decision threshold on validation data.</summary>
    public bool? TuneThreshold { get; init; }
    /// <summary>Keep the weights of the best validation evaluation (else the last weights).</summary>
    public bool? RestoreBestWeights { get; init; }
}

/// <summary>Settings after <see cref="TrainingDefaults.Resolve"/>, with a line per value chosen from the data.</summary>
/// <param name="MaxTokens">Token budget per text (training and prediction).</param>
/// <param name="Truncation">What training keeps of longer texts.</param>
/// <param name="PredictionWindowStride">&gt; 0: prediction averages the logits of windows this many word pieces apart over texts longer than <paramref name="MaxTokens"/>.</param>
/// <param name="BatchSize">Examples per step.</param>
/// <param name="Epochs">Passes over the data.</param>
/// <param name="BalanceClasses">Class-weighted loss.</param>
/// <param name="TuneThreshold">Choose binary decision thresholds on validation data (F1 of the minority class).</param>
/// <param name="RestoreBestWeights">Keep the weights of the best validation evaluation (else the last weights).</param>
/// <param name="Reasons">What was chosen from the data and why (empty when the user set everything).</param>
public sealed record DataAwareDefaults(int MaxTokens, TruncationStrategy Truncation, int PredictionWindowStride, int BatchSize, int Epochs,
                                       bool BalanceClasses, bool TuneThreshold, bool RestoreBestWeights, IReadOnlyList<string> Reasons)
{
    /// <summary>Token budget per step: 0 = every step is <see cref="BatchSize"/> texts (see <see cref="FineTuneSettings.TokensPerBatch"/>).</summary>
    public int TokensPerBatch { get; init; }

    /// <summary>The choices as one line, e.g. "max tokens 512 (head+tail), windows every 256, batch 16, 4 epochs, class weights, tuned threshold".</summary>
    public string Summary =>
        $"max tokens {MaxTokens} ({Truncation switch { TruncationStrategy.HeadAndTail => "head+tail", TruncationStrategy.Tail => "tail", _ => "head" }})" +
        (PredictionWindowStride > 0 ? $", prediction windows every {PredictionWindowStride}" : "") +
        $", batch {BatchSize}" + (TokensPerBatch > 0 ? $" (token budget {TokensPerBatch:N0}, up to {BatchSize * FineTuneSettings.MaxRowsPerBudgetBatch} texts)" : "") +
        $", {Epochs} epoch{(Epochs == 1 ? "" : "s")}" +
        (BalanceClasses ? ", class-weighted loss" : "") + (TuneThreshold ? ", decision threshold tuned on validation data" : "") +
        (RestoreBestWeights ? "" : ", last weights kept");
}

/// <summary>
/// Training defaults chosen from the data (length, size, class balance) for every setting the user left open. Each rule
/// is a small function of the <see cref="DataProfile"/>; an explicit value always wins.
/// </summary>
public static class TrainingDefaults
{
    /// <summary>Long-text token budget (Sun et al. 2019: head 128 + tail 382 of 510 word pieces was best on IMDb).</summary>
    public const int LongTextTokens = 512;
    /// <summary>Small data sets get at least this many optimizer steps (3 epochs of 1,000 texts at batch 32 are only ~90).</summary>
    public const int MinimumSteps = 200;
    /// <summary>
    /// Even a tiny set (a few dozen examples, one or two batches) gets this many steps: 10 epochs of 14 examples are 10
    /// steps, and 30 steps raised SST-2 accuracy by about 6 points there (docs/training-defaults.md).
    /// </summary>
    public const int MinimumTinySteps = 30;
    /// <summary>Large data sets stop after about this many steps (more passes over 60,000 texts add hours, not accuracy).</summary>
    public const int MaximumSteps = 4000;
    /// <summary>Below this many examples the batch is 16 (twice the steps for the same compute), else 32.</summary>
    public const int SmallDataExamples = 2000;
    /// <summary>Largest over smallest class count from which a classification task counts as imbalanced.</summary>
    public const double ImbalancedRatio = 2.5;
    /// <summary>
    /// Fewer validation examples than this are too few to choose weights or a threshold by: one text more or less right
    /// moves the score by more than the differences being chosen between, so the last weights and 0.5 are kept.
    /// </summary>
    public const int MinimumValidationExamples = 50;

    /// <summary>Fills every null setting of <paramref name="request"/> from <paramref name="profile"/>.</summary>
    /// <param name="profile">The training data.</param>
    /// <param name="modelMaxTokens">The encoder's max_position_embeddings.</param>
    /// <param name="request">What the user set.</param>
    /// <param name="binary">Whether a binary task is trained (the threshold rule applies to binary tasks only).</param>
    /// <param name="validationExamples">Size of the validation data; null without validation data.</param>
    public static DataAwareDefaults Resolve(DataProfile profile, int modelMaxTokens, TrainingRequest request, bool binary, int? validationExamples = null)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(request);
        var reasons = new List<string>();
        T Pick<T>(T? given, T chosen, string why) where T : struct
        {
            if (given is { } g) return g;
            reasons.Add(why);
            return chosen;
        }

        int maxTokens = request.MaxTokens ?? ChooseMaxTokens(profile, modelMaxTokens);
        if (request.MaxTokens is null)
            reasons.Add(profile.P99Tokens <= maxTokens
                ? $"max tokens {maxTokens}: 99% of texts have ≤ {profile.P99Tokens} word pieces"
                : $"max tokens {maxTokens}: long texts (median {profile.MedianTokens}, p95 {profile.P95Tokens} word pieces)");
        bool longTexts = profile.P95Tokens > maxTokens;
        var truncation = Pick(request.Truncation, longTexts ? TruncationStrategy.HeadAndTail : TruncationStrategy.Head,
            longTexts ? "head+tail truncation: more than 5% of texts are longer than max tokens (keeps the opening and the conclusion)"
                      : "head truncation: few texts are longer than max tokens");
        bool someLonger = profile.LongestTokens > maxTokens;
        int stride = Pick(request.PredictionWindowStride, someLonger ? maxTokens / 2 : 0,
            someLonger ? $"prediction windows every {maxTokens / 2} word pieces: texts longer than max tokens are read whole, logits averaged"
                       : "no prediction windows: every text fits");
        bool small = profile.Examples < SmallDataExamples;
        int batch = Pick(request.BatchSize, small ? 16 : 32,
            small ? $"batch 16: fewer than {SmallDataExamples:N0} examples (more steps for the same compute)" : "batch 32");
        int epochs = Pick(request.Epochs, ChooseEpochs(profile.Examples, batch), EpochsReason(profile.Examples, batch));
        int budget = request.TokensPerBatch ?? 0; // opt-in: measured to cost accuracy at the same learning rate (docs/performance.md)
        bool imbalanced = profile.ImbalanceRatio >= ImbalancedRatio;
        string balance = imbalanced ? $"classes imbalanced {profile.ImbalanceRatio:F1}:1" : "classes balanced";
        bool classes = profile.ClassCounts is not null; // regression and tagging have no classes to weigh or threshold to tune
        bool weights = classes ? Pick(request.BalanceClasses, imbalanced, imbalanced ? $"class-weighted loss: {balance}" : "plain loss: " + balance)
                               : request.BalanceClasses ?? false;
        bool tooFewToChoose = validationExamples < MinimumValidationExamples;
        string tooFew = $"{validationExamples} validation examples are too few to choose by (fewer than {MinimumValidationExamples})";
        bool threshold = !classes ? request.TuneThreshold ?? false : Pick(request.TuneThreshold, imbalanced && binary && !tooFewToChoose,
            !(imbalanced && binary) ? "decision threshold 0.5"
            : tooFewToChoose ? $"decision threshold 0.5: {tooFew}" : "decision threshold tuned on validation data for the minority class's F1");
        bool restore = request.RestoreBestWeights ?? !tooFewToChoose;
        if (request.RestoreBestWeights is null && tooFewToChoose) reasons.Add($"last weights kept: {tooFew}");
        return new DataAwareDefaults(maxTokens, truncation, stride, batch, epochs, weights, threshold, restore, reasons) { TokensPerBatch = budget };
    }

    /// <summary>The 99th length percentile rounded up to a multiple of 16 (at least 32), capped at <see cref="LongTextTokens"/> and the model.</summary>
    public static int ChooseMaxTokens(DataProfile profile, int modelMaxTokens) =>
        Math.Min(Math.Min(modelMaxTokens, LongTextTokens), Math.Max(32, (profile.P99Tokens + 15) / 16 * 16));

    /// <summary>
    /// At least 3 epochs and <see cref="MinimumSteps"/> steps (at most 10 epochs — more passes did not help at ~100
    /// examples — unless that leaves fewer than <see cref="MinimumTinySteps"/> steps), at most <see cref="MaximumSteps"/>
    /// steps (at least 1 epoch).
    /// </summary>
    public static int ChooseEpochs(int examples, int batchSize)
    {
        int stepsPerEpoch = Math.Max(1, (examples + batchSize - 1) / batchSize);
        int epochs = Math.Max(Math.Clamp((MinimumSteps + stepsPerEpoch - 1) / stepsPerEpoch, 3, 10), (MinimumTinySteps + stepsPerEpoch - 1) / stepsPerEpoch);
        return epochs * stepsPerEpoch > MaximumSteps ? Math.Max(1, MaximumSteps / stepsPerEpoch) : epochs;
    }

    private static string EpochsReason(int examples, int batchSize)
    {
        int epochs = ChooseEpochs(examples, batchSize), steps = epochs * Math.Max(1, (examples + batchSize - 1) / batchSize);
        return $"{epochs} epoch{(epochs == 1 ? "" : "s")} ({steps:N0} steps) for {examples:N0} examples";
    }
}
