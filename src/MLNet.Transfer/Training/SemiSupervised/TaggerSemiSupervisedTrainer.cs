using MLNet.Transfer.Models.Tagging;
using MLNet.Transfer.Text;
using MLNet.Transfer.Text.Tagging;
using MLNet.Transfer.Training.Tagging;

namespace MLNet.Transfer.Training.SemiSupervised;

/// <summary>
/// Trains a tagger on tagged plus unlabelled sentences by <see cref="SemiSupervisedSettings.Method"/>: self-training
/// (<see cref="TaggerSelfTraining"/>) or UDA-style consistency training (<see cref="TaggerTrainer"/> with a
/// <see cref="TaggerConsistencyObjective"/>: every step adds the per-word consistency loss on unlabelled sentences and
/// their word-aligned TF-IDF copies, and anneals the labelled word loss when <see cref="SemiSupervisedSettings.Annealing"/> is set). Deterministic for <see cref="FineTuneSettings.Seed"/>.
/// </summary>
/// <param name="model">The tagger, trained in place.</param>
/// <param name="tokenizer">Its tokenizer.</param>
/// <param name="settings">Fine-tuning settings.</param>
/// <param name="semiSupervised">The method and its settings (checked here: soft labels are refused).</param>
/// <param name="crfLearningRate">Learning rate of a CRF head's transition scores.</param>
public sealed class TaggerSemiSupervisedTrainer(TaggingModel model, BertWordPieceTokenizer tokenizer, FineTuneSettings settings, SemiSupervisedSettings semiSupervised,
                                                double crfLearningRate = TaggerTrainer.DefaultCrfLearningRate)
{
    private readonly SemiSupervisedSettings _semi = Checked(semiSupervised);

    /// <summary>The settings, validated, if a tagger can use them (either method, hard labels); else an <see cref="ArgumentException"/>.</summary>
    public static SemiSupervisedSettings Checked(SemiSupervisedSettings semiSupervised)
    {
        ArgumentNullException.ThrowIfNull(semiSupervised);
        semiSupervised.Validate();
        if (semiSupervised.SoftLabels) throw new ArgumentException("SoftLabels applies to sentence tasks; a tagger's pseudo-labels are its decoded tags.", nameof(semiSupervised));
        return semiSupervised;
    }

    /// <summary>Trains in place and returns the kept run's summary.</summary>
    /// <param name="train">Tagged sentences.</param>
    /// <param name="validation">Tagged validation sentences (early stopping), or null.</param>
    /// <param name="unlabelled">Unlabelled sentences, as words (empty ones are skipped; at least one must remain).</param>
    /// <param name="progress">Step and evaluation reports.</param>
    /// <param name="rounds">Self-training: one report per round (consistency training has no rounds).</param>
    /// <param name="cancellation">Cancels training.</param>
    public FineTuneResult Train(IReadOnlyList<TaggedSentence> train, IReadOnlyList<TaggedSentence>? validation, IReadOnlyList<IReadOnlyList<string>> unlabelled,
                                IProgress<TrainingProgress>? progress = null, IProgress<SemiSupervisedRound>? rounds = null, CancellationToken cancellation = default)
    {
        if (_semi.Method == SemiSupervisedMethod.SelfTraining)
            return new TaggerSelfTraining(model, tokenizer, settings, _semi, crfLearningRate).Train(train, validation, unlabelled, progress, rounds, cancellation);
        var objective = TaggerConsistencyObjective.For(tokenizer, unlabelled, settings.MaxTokens, _semi, settings.Seed);
        return new TaggerTrainer(model, tokenizer, settings, crfLearningRate) { Consistency = objective }.Train(train, validation, progress, cancellation);
    }
}
