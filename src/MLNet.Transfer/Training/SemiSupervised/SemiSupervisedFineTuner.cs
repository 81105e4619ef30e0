using MLNet.Transfer.Models;
using MLNet.Transfer.Models.Heads;
using MLNet.Transfer.Text;

namespace MLNet.Transfer.Training.SemiSupervised;

/// <summary>A self-training round's report (round 0 is the teacher trained on the labels alone).</summary>
/// <param name="Round">0 = teacher, 1… = students.</param>
/// <param name="Rounds">Student rounds planned.</param>
/// <param name="PseudoLabels">Pseudo-labels the round's student learnt from (0 for the teacher).</param>
/// <param name="PerClass">
/// Pseudo-labels per class (of the first binary / multiclass task, or without one of the first tagging task: its words per
/// tag; every task's: <see cref="PerTask"/>).
/// </param>
/// <param name="ValidationScore">The round's validation score (null without validation data).</param>
/// <param name="Kept">Whether the round's weights are kept (false: no better than the round before, so training stops there).</param>
public sealed record SemiSupervisedRound(int Round, int Rounds, int PseudoLabels, IReadOnlyList<int> PerClass, double? ValidationScore, bool Kept)
{
    /// <summary>
    /// Multi-task models with several pseudo-labelled tasks (binary / multiclass, and tagging tasks given the pool as words):
    /// the pseudo-labels per class of each such task, by task name — for a tagging task its pseudo-tagged words per tag,
    /// in the task's tag order (<see cref="PseudoLabels"/> is their total, a tagging task counting its sentences); null otherwise.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyList<int>>? PerTask { get; init; }

    /// <summary>
    /// Sentence models: the round's pseudo-labels of the first binary / multiclass task (pool index, class, the teacher's
    /// probabilities), in pool order — to check them against labels known elsewhere; null for the teacher's report, taggers
    /// and models without a binary / multiclass task.
    /// </summary>
    public IReadOnlyList<PseudoLabel>? Labels { get; init; }
}

/// <summary>
/// Fine-tunes a <see cref="TransferModel"/> on labelled examples plus unlabelled texts: self-training (teacher →
/// confident, class-balanced pseudo-labels → noisy student, several rounds, optional soft labels, early stopping across
/// rounds on the validation score) or UDA-style consistency training (see <see cref="SemiSupervisedMethod"/>). With several
/// tasks, both work on every binary / multiclass task (a pseudo-label per task, a consistency term per task) and, given
/// the unlabelled texts as words (<see cref="Sentences"/>), on every tagging task as the tagger does (pseudo-tagged
/// sentences whose least confident word reaches the threshold, a per-word consistency term); regression and multi-label
/// tasks (and tagging tasks without <see cref="Sentences"/>) learn from their labels only. Both use
/// <see cref="FineTuner"/> for every optimisation step, and are deterministic for <see cref="FineTuneSettings.Seed"/>.
/// </summary>
public sealed class SemiSupervisedFineTuner(TransferModel model, FineTuneSettings settings, SemiSupervisedSettings semiSupervised, int padId)
{
    private readonly SemiSupervisedSettings _semi = semiSupervised.Validate();

    /// <summary>The causal encoder's language-model head for GPT-1's auxiliary loss (see <see cref="FineTuner.LanguageModelHead"/>), or null.</summary>
    public BertLmHead? LanguageModelHead { get; init; }

    /// <summary>
    /// The unlabelled texts as sentences of words, one per text of <c>unlabelled</c> in the same order, so tagging tasks
    /// take part (<see cref="UnlabelledSentences.SplitAtWhiteSpace"/>: the texts split at white space); null = tagging
    /// tasks learn from their labels only.
    /// </summary>
    public UnlabelledSentences? Sentences { get; init; }

    /// <summary>Trains in place and returns the kept run's summary (its <see cref="FineTuneResult.Duration"/> covers every round).</summary>
    /// <param name="train">Labelled examples.</param>
    /// <param name="validation">Labelled validation examples (early stopping within and across rounds), or null.</param>
    /// <param name="unlabelled">Unlabelled texts, tokenized like <paramref name="train"/>.</param>
    /// <param name="progress">Step and evaluation reports (each round counts its own steps).</param>
    /// <param name="rounds">Self-training: one report per round.</param>
    /// <param name="cancellation">Cancels training.</param>
    public FineTuneResult Train(IReadOnlyList<TrainingExample> train, IReadOnlyList<TrainingExample>? validation, IReadOnlyList<EncodedText> unlabelled,
                                IProgress<TrainingProgress>? progress = null, IProgress<SemiSupervisedRound>? rounds = null, CancellationToken cancellation = default)
    {
        if (unlabelled.Count == 0) throw new ArgumentException("The unlabelled set is empty: semi-supervised training needs unlabelled texts.", nameof(unlabelled));
        if (Sentences is not null && Sentences.Words.Count != unlabelled.Count)
            throw new ArgumentException($"Sentences has {Sentences.Words.Count} sentences for {unlabelled.Count} unlabelled texts; give one per text, in the same order.", nameof(unlabelled));
        var tagging = Sentences is not null && model.Tasks.Any(t => t.Kind == TaskKind.Tagging) ? Sentences : null;
        if (tagging is null && !model.Tasks.Any(t => t.Kind is TaskKind.Binary or TaskKind.Multiclass))
            throw new ArgumentException("Semi-supervised training needs a binary or multiclass task, or a tagging task and the unlabelled texts as words (Sentences).");
        var augmenter = new TfIdfAugmenter(unlabelled);
        if (_semi.Method == SemiSupervisedMethod.Consistency)
        {
            var augmented = augmenter.AugmentAll(unlabelled, _semi.AugmentationRate, _semi.DeletionShare, settings.Seed);
            var consistency = new ConsistencyObjective(unlabelled, augmented, _semi, settings.Seed)
            {
                Tagging = tagging is null ? null : TaggerConsistencyObjective.For(tagging.Tokenizer, tagging.Words, settings.MaxTokens, _semi, settings.Seed),
            };
            return new FineTuner(model, settings, padId) { Consistency = consistency, LanguageModelHead = LanguageModelHead }
                .Train(train, validation, progress, cancellation);
        }
        return new SelfTraining(model, settings, _semi, padId, augmenter, LanguageModelHead, tagging).Run(train, validation, unlabelled, progress, rounds, cancellation);
    }
}
