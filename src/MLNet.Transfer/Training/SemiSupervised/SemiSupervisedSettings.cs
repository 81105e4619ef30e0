namespace MLNet.Transfer.Training.SemiSupervised;

/// <summary>How unlabelled text takes part in fine-tuning.</summary>
public enum SemiSupervisedMethod
{
    /// <summary>
    /// Self-training (noisy student): a teacher fine-tuned on the labels pseudo-labels the unlabelled texts it is confident
    /// about (class-balanced), and a student trained from the same starting weights on labels + pseudo-labels, with dropout
    /// and input noise, becomes the next round's teacher.
    /// </summary>
    SelfTraining,
    /// <summary>
    /// UDA-style consistency training: besides the supervised loss, every step adds the KL divergence between the model's
    /// (sharpened, confidence-masked) prediction on unlabelled texts and its prediction on augmented copies of them.
    /// </summary>
    Consistency,
}

/// <summary>Self-training: which of the texts the teacher is confident about become pseudo-labels when there are more than the cap.</summary>
public enum PseudoLabelSelection
{
    /// <summary>The most confident first.</summary>
    MostConfident,
    /// <summary>Drawn at random among every text that reaches the confidence threshold (harder, more varied texts than the top ones).</summary>
    Random,
}

/// <summary>
/// Training-signal annealing (UDA): a labelled example whose correct-class probability is above a threshold η_t leaves
/// the supervised loss, with η_t = α_t (1 − 1/K) + 1/K rising from chance (1/K) to 1 over training.
/// </summary>
public enum AnnealingSchedule
{
    /// <summary>No annealing: every labelled example counts throughout.</summary>
    None,
    /// <summary>α_t = t / T.</summary>
    Linear,
    /// <summary>α_t = 1 − exp(−5 t / T): releases the labels early (when overfitting is unlikely).</summary>
    Log,
    /// <summary>α_t = exp(5 (t / T − 1)): releases the labels late (few labels, quick to overfit).</summary>
    Exp,
}

/// <summary>
/// Hyperparameters of semi-supervised fine-tuning (<see cref="SemiSupervisedFineTuner"/>); the fine-tuning ones stay in
/// <see cref="FineTuneSettings"/>. Defaults follow the noisy-student and UDA papers, scaled down for a CPU.
/// </summary>
public sealed record SemiSupervisedSettings
{
    /// <summary>The method. Default <see cref="SemiSupervisedMethod.SelfTraining"/>.</summary>
    public SemiSupervisedMethod Method { get; init; } = SemiSupervisedMethod.SelfTraining;

    /// <summary>
    /// Confidence (the top class's probability) a prediction needs: self-training pseudo-labels only such texts, consistency
    /// training masks the others out of the consistency loss. Default null: 0.9 for self-training, 0.8 for consistency (UDA).
    /// </summary>
    public double? ConfidenceThreshold { get; init; }

    /// <summary>Self-training: teacher → student rounds. Default 1.</summary>
    public int Rounds { get; init; } = 1;
    /// <summary>Self-training: at most this many pseudo-labels per class (the most confident; a tagger: this many sentences). Default 1,000.</summary>
    public int MaxPseudoLabelsPerClass { get; init; } = 1000;
    /// <summary>
    /// Self-training: which confident texts (taggers: sentences) become pseudo-labels when a class (taggers: the pool) has
    /// more than the cap — the most confident (default) or a random draw among them (seeded by <see cref="FineTuneSettings.Seed"/> and the round).
    /// </summary>
    public PseudoLabelSelection Selection { get; init; } = PseudoLabelSelection.MostConfident;
    /// <summary>Self-training: take the same number of pseudo-labels of every class (the rarest class's count). Default true.</summary>
    public bool BalancePseudoLabels { get; init; } = true;
    /// <summary>Self-training: the student learns the teacher's probabilities instead of its top class. Default false.</summary>
    public bool SoftLabels { get; init; }
    /// <summary>Self-training: the student sees TF-IDF-augmented copies of the pseudo-labelled texts (input noise). Default true.</summary>
    public bool AugmentPseudoLabels { get; init; } = true;
    /// <summary>
    /// Self-training: the student's epochs. Default null: as many as give the student the teacher's number of steps
    /// (at least one pass over labels + pseudo-labels); a tagger's student: the teacher's epochs.
    /// </summary>
    public int? StudentEpochs { get; init; }

    /// <summary>Consistency: unlabelled texts per labelled text in each step. Default 2.</summary>
    public int UnlabelledBatchRatio { get; init; } = 2;
    /// <summary>Consistency: weight λ of the consistency loss. Default 1.</summary>
    public double ConsistencyWeight { get; init; } = 1;
    /// <summary>Consistency: temperature that sharpens the target prediction (1 = none). Default 0.4 (UDA).</summary>
    public double SharpeningTemperature { get; init; } = 0.4;
    /// <summary>
    /// Consistency: training-signal annealing of the supervised loss. Default null: the trainer's own —
    /// <see cref="AnnealingSchedule.Exp"/> for sentence classifiers (few labels, as in UDA), <see cref="AnnealingSchedule.None"/>
    /// for taggers (measured on UD EWT POS with 100 tagged sentences: the exp schedule cost 5.5 points, none 0.6;
    /// docs/multi-task-and-few-labels.md).
    /// </summary>
    public AnnealingSchedule? Annealing { get; init; }

    /// <summary>The generator of a random selection in <paramref name="round"/> for task <paramref name="task"/> (null: the most confident).</summary>
    internal Random? Sampler(int seed, int round, int task = 0) =>
        Selection == PseudoLabelSelection.Random ? new Random(unchecked(seed * 7919 + round * 31 + task)) : null;

    /// <summary>The annealing schedule in effect: <see cref="Annealing"/>, else <paramref name="trainerDefault"/>.</summary>
    internal AnnealingSchedule AnnealingOr(AnnealingSchedule trainerDefault) => Annealing ?? trainerDefault;

    /// <summary>TF-IDF augmentation: share of word pieces changed (the uninformative ones more often). Default 0.3.</summary>
    public double AugmentationRate { get; init; } = 0.3;
    /// <summary>TF-IDF augmentation: share of the changed word pieces deleted rather than replaced. Default 0.2.</summary>
    public double DeletionShare { get; init; } = 0.2;

    /// <summary>The confidence threshold in effect for <see cref="Method"/>.</summary>
    public double Confidence => ConfidenceThreshold ?? (Method == SemiSupervisedMethod.SelfTraining ? 0.9 : 0.8);

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first bad value.</summary>
    public SemiSupervisedSettings Validate()
    {
        CheckDefined<SemiSupervisedMethod>(Method, nameof(Method));
        CheckDefined<PseudoLabelSelection>(Selection, nameof(Selection));
        CheckDefined(Annealing, nameof(Annealing));
        Check(Confidence is >= 0 and < 1, nameof(ConfidenceThreshold), Confidence, "must be in [0, 1)");
        Check(Rounds >= 1, nameof(Rounds), Rounds, "must be at least 1");
        Check(MaxPseudoLabelsPerClass >= 1, nameof(MaxPseudoLabelsPerClass), MaxPseudoLabelsPerClass, "must be at least 1");
        Check(StudentEpochs is null or >= 1, nameof(StudentEpochs), StudentEpochs!, "must be at least 1");
        Check(UnlabelledBatchRatio >= 1, nameof(UnlabelledBatchRatio), UnlabelledBatchRatio, "must be at least 1");
        Check(ConsistencyWeight >= 0 && double.IsFinite(ConsistencyWeight), nameof(ConsistencyWeight), ConsistencyWeight, "must be a number of at least 0");
        Check(SharpeningTemperature > 0 && SharpeningTemperature <= 1, nameof(SharpeningTemperature), SharpeningTemperature, "must be in (0, 1]");
        Check(AugmentationRate is >= 0 and <= 1, nameof(AugmentationRate), AugmentationRate, "must be in [0, 1]");
        Check(DeletionShare is >= 0 and <= 1, nameof(DeletionShare), DeletionShare, "must be in [0, 1]");
        return this;
    }

    /// <summary>Throws unless <paramref name="value"/> is null or one of <typeparamref name="T"/>'s named values.</summary>
    private static void CheckDefined<T>(T? value, string name) where T : struct, Enum =>
        Check(value is not { } v || Enum.IsDefined(v), name, value!, $"must be one of {string.Join(", ", Enum.GetNames<T>())}");

    private static void Check(bool ok, string name, object value, string rule)
    {
        if (!ok) throw new ArgumentOutOfRangeException(name, value, $"{name} {rule}; got {value}.");
    }
}
