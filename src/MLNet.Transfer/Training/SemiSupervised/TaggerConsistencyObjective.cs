using MLNet.Transfer.Models.Tagging;
using MLNet.Transfer.Text;
using MLNet.Transfer.Text.Tagging;
using MLNet.Transfer.Training.Tagging;
using static TorchSharp.torch;

namespace MLNet.Transfer.Training.SemiSupervised;

/// <summary>
/// The unlabelled half of a tagger's UDA step, plugged into <see cref="TaggerTrainer"/> (<see cref="TaggerTrainer.Consistency"/>):
/// each step draws <see cref="SemiSupervisedSettings.UnlabelledBatchRatio"/> × batch-size unlabelled windows (reproducibly
/// from the seed and the step, as <see cref="ConsistencyObjective"/> does) and adds λ × <see cref="ConsistencyLoss"/>
/// per word: KL(sharpen(p(tag | sentence)) ‖ p(tag | augmented sentence)) on each word's first piece, the one that carries
/// its tag. The copies come from <see cref="TaggingWindowAugmenter"/> (every word kept in place; a word whose first piece
/// was replaced is another word and leaves the loss), and the encoder's dropout adds noise to both sides. The mean is over
/// the words the augmentation kept, words the model tags below the confidence threshold counting 0 — the sentence
/// objective's rule (and UDA's) with words as the examples, so the term grows as the model becomes sure of more words.
/// It also gives the annealing threshold of the labelled word loss (<see cref="TaggingLoss.Compute"/>; none unless
/// <see cref="SemiSupervisedSettings.Annealing"/> is set).
/// </summary>
/// <remarks>
/// A CRF head's probabilities here are the per-word softmax of its emission scores — what <see cref="TagPredictor"/>
/// reports as a word's score and what self-training thresholds — not the CRF's marginals: the emissions carry the
/// per-word evidence the encoder must keep stable under noise, while the transition scores are learnt from the tagged
/// sentences; marginals would need a forward-backward pass over both copies at every step for the same purpose.
/// </remarks>
public sealed class TaggerConsistencyObjective
{
    private readonly TaggingWindow[] _unlabelled;
    private readonly AugmentedWindow[] _augmented;
    private readonly SemiSupervisedSettings _settings;
    private readonly int _seed;

    /// <summary>Augments <paramref name="unlabelled"/> once (seeded by <paramref name="seed"/>) and keeps the settings.</summary>
    /// <param name="unlabelled">Unlabelled windows (<see cref="WordPieceAlignment.Windows"/>), at least one.</param>
    /// <param name="settings">λ, sharpening, confidence, annealing, ratio, augmentation rates.</param>
    /// <param name="seed">Seed of the augmentation and of the per-step draws.</param>
    /// <exception cref="ArgumentException">No unlabelled window.</exception>
    public TaggerConsistencyObjective(IReadOnlyList<TaggingWindow> unlabelled, SemiSupervisedSettings settings, int seed)
    {
        ArgumentNullException.ThrowIfNull(unlabelled);
        if (unlabelled.Count == 0) throw new ArgumentException("The unlabelled set is empty: consistency training needs unlabelled sentences.", nameof(unlabelled));
        _settings = settings.Validate();
        _unlabelled = [.. unlabelled];
        _augmented = TaggingWindowAugmenter.AugmentAll(_unlabelled, _settings.AugmentationRate, _settings.DeletionShare, seed);
        _seed = seed;
    }

    /// <summary>The objective for unlabelled sentences of words, cut into windows of at most <paramref name="maxTokens"/> pieces; empty sentences are skipped.</summary>
    public static TaggerConsistencyObjective For(BertWordPieceTokenizer tokenizer, IReadOnlyList<IReadOnlyList<string>> sentences, int maxTokens,
                                                 SemiSupervisedSettings settings, int seed) =>
        new([.. sentences.Where(s => s.Count > 0).SelectMany(s => WordPieceAlignment.Windows(tokenizer, s, maxTokens))], settings, seed);

    /// <summary>The unlabelled windows' augmented copies (in the order of the windows).</summary>
    public IReadOnlyList<AugmentedWindow> Augmented => _augmented;

    /// <summary>What the objective depends on, for checkpoint fingerprints.</summary>
    public override string ToString() => $"tagger consistency {_unlabelled.Length} {_settings} {_seed}";

    /// <summary>Training-signal annealing's threshold η_t at <paramref name="step"/> of <paramref name="totalSteps"/> for <paramref name="tags"/> tags (1 = none).</summary>
    public double AnnealingThreshold(int step, int totalSteps, int tags) =>
        _settings.AnnealingOr(AnnealingSchedule.None) is var schedule and not AnnealingSchedule.None
            ? TrainingSignalAnnealing.Threshold(schedule, step, totalSteps, tags) : 1;

    /// <summary>λ × the consistency loss of this step's unlabelled draw of 
    /// <see cref="SemiSupervisedSettings.UnlabelledBatchRatio"/> × <paramref name="batchSize"/> windows.</summary>
    public Tensor Loss(TaggingModel model, int padId, int batchSize, int step)
    {
        var rows = ConsistencyObjective.Draw(batchSize * _settings.UnlabelledBatchRatio, _unlabelled.Length, _seed, step);
        return Loss(model, padId, rows);
    }

    /// <summary>λ × the consistency loss of the given unlabelled windows (see the class remarks).</summary>
    internal Tensor Loss(TaggingModel model, int padId, IReadOnlyList<int> rows)
    {
        using var scope = NewDisposeScope();
        Tensor original;
        using (no_grad()) original = model.Emissions([.. rows.Select(i => _unlabelled[i])], padId);
        var noisy = model.Emissions([.. rows.Select(i => _augmented[i].Window)], padId);
        var words = rows.SelectMany((row, b) => _augmented[row].Replaced.Select((replaced, w) => (b, w, replaced)))
                        .Where(p => !p.replaced).Select(p => (p.b, p.w)).ToArray();
        var loss = ConsistencyLoss.Compute(TaskKind.Multiclass, TaggingLoss.WordRows(original, words), TaggingLoss.WordRows(noisy, words),
                                           _settings.SharpeningTemperature, _settings.Confidence);
        return (loss * _settings.ConsistencyWeight).MoveToOuterDisposeScope();
    }
}
