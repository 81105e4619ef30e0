using MLNet.Transfer.Models.Tagging;
using MLNet.Transfer.Text;
using MLNet.Transfer.Text.Tagging;
using MLNet.Transfer.Training.Tagging;

namespace MLNet.Transfer.Training.SemiSupervised;

/// <summary>
/// Self-training for a tagger (<see cref="SelfTrainingRounds"/>): the teacher (trained on the tagged sentences by
/// <see cref="TaggerTrainer"/>) tags the unlabelled sentences; those whose least confident word reaches the confidence
/// threshold (<see cref="TagPseudoLabels.Select"/>, at most <see cref="SemiSupervisedSettings.MaxPseudoLabelsPerClass"/>
/// sentences, the most confident or — <see cref="SemiSupervisedSettings.Selection"/> — drawn at random among them) join the tagged ones, and a student trained from the teacher's starting weights on both, with dropout, for
/// as many epochs as the teacher (so it sees every tagged sentence as often; <see cref="SemiSupervisedSettings.StudentEpochs"/>
/// overrides), is the next round's teacher. A round that does not raise the validation entity F1 is undone and ends training.
/// Deterministic for <see cref="FineTuneSettings.Seed"/>. Soft labels and class balancing are sentence-task options (soft
/// labels are refused); the student's only noise is dropout. Consistency training: <see cref="TaggerSemiSupervisedTrainer"/>.
/// </summary>
public sealed class TaggerSelfTraining
{
    private readonly TaggingModel _model;
    private readonly BertWordPieceTokenizer _tokenizer;
    private readonly FineTuneSettings _settings;
    private readonly SemiSupervisedSettings _semi;
    private readonly double _crfLearningRate;

    /// <summary>Creates the trainer; the settings are checked here.</summary>
    /// <exception cref="ArgumentException">The method is not self-training, or soft labels are asked for.</exception>
    public TaggerSelfTraining(TaggingModel model, BertWordPieceTokenizer tokenizer, FineTuneSettings settings, SemiSupervisedSettings semiSupervised,
                              double crfLearningRate = TaggerTrainer.DefaultCrfLearningRate)
    {
        _semi = Checked(semiSupervised);
        (_model, _tokenizer, _settings, _crfLearningRate) = (model, tokenizer, settings, crfLearningRate);
    }

    /// <summary>The settings, validated, if tagger self-training can use them (self-training, hard labels); else an <see cref="ArgumentException"/>.</summary>
    public static SemiSupervisedSettings Checked(SemiSupervisedSettings semiSupervised)
    {
        TaggerSemiSupervisedTrainer.Checked(semiSupervised);
        if (semiSupervised.Method != SemiSupervisedMethod.SelfTraining)
            throw new ArgumentException($"TaggerSelfTraining does self-training; {semiSupervised.Method} training of a tagger is TaggerSemiSupervisedTrainer's.", nameof(semiSupervised));
        return semiSupervised;
    }

    /// <summary>Trains in place and returns the kept round's summary (its duration covers every round).</summary>
    /// <param name="train">Tagged sentences.</param>
    /// <param name="validation">Tagged validation sentences (early stopping within and across rounds), or null.</param>
    /// <param name="unlabelled">Unlabelled sentences, as words.</param>
    /// <param name="progress">Step and evaluation reports (each round counts its own steps).</param>
    /// <param name="rounds">
    /// One report per round: <see cref="SemiSupervisedRound.PseudoLabels"/> counts sentences, <see cref="SemiSupervisedRound.PerClass"/>
    /// their words per tag (in the model's tag order).
    /// </param>
    /// <param name="cancellation">Cancels training.</param>
    public FineTuneResult Train(IReadOnlyList<TaggedSentence> train, IReadOnlyList<TaggedSentence>? validation, IReadOnlyList<IReadOnlyList<string>> unlabelled,
                                IProgress<TrainingProgress>? progress = null, IProgress<SemiSupervisedRound>? rounds = null, CancellationToken cancellation = default)
    {
        var pool = unlabelled.Where(s => s.Count > 0).ToArray();
        if (pool.Length == 0) throw new ArgumentException("The unlabelled set is empty: self-training needs unlabelled sentences.", nameof(unlabelled));
        var tags = _model.Spec.Tags;
        FineTuneResult Train(IReadOnlyList<TaggedSentence> sentences, int round, int epochs) =>
            new TaggerTrainer(_model, _tokenizer, SelfTrainingRounds.ForRound(_settings, round, epochs), _crfLearningRate).Train(sentences, validation, progress, cancellation);
        StudentRound Plan(int round)
        {
            var pseudo = TagPseudoLabels.Choose(_model, _tokenizer, pool, _settings.MaxTokens, Math.Max(_settings.BatchSize, 32), _semi, _semi.Sampler(_settings.Seed, round));
            var student = train.Concat(TagPseudoLabels.Sentences(pseudo, pool, tags)).ToList();
            return new StudentRound(pseudo.Count, TagPseudoLabels.PerTag(pseudo, tags.Length),
                () => Train(student, round, _semi.StudentEpochs ?? _settings.Epochs));
        }
        double? Score() => validation is null ? null : new TaggerTrainer(_model, _tokenizer, _settings, _crfLearningRate).Evaluate(validation)["F1Score"];
        return SelfTrainingRounds.Run(_model, _semi.Rounds, () => Train(train, 0, _settings.Epochs), Score, Plan, new int[tags.Length], rounds, cancellation);
    }
}
