using MLNet.Transfer.Models;
using MLNet.Transfer.Models.Tagging;
using MLNet.Transfer.Text;
using MLNet.Transfer.Text.Tagging;
using MLNet.Transfer.Training.SemiSupervised;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transfer.Training.Tagging;

/// <summary>
/// Trains a <see cref="TaggingModel"/> on tagged sentences with the sentence fine-tuner's machinery — AdamW with decay
/// groups and discriminative rates (<see cref="ParameterGroups"/>), the learning-rate schedules, clipping, length-bucketed
/// batches — plus what tagging needs: word-piece windows with labels on first pieces only, a token-level cross-entropy or
/// CRF loss, and early stopping / best-weight restore on the validation entity F1.
/// </summary>
public sealed class TaggerTrainer
{
    /// <summary>Learning rate of the CRF's transition scores: they start near 0 and need to move far in few steps. Default 1e-2.</summary>
    public const double DefaultCrfLearningRate = 1e-2;

    private readonly TaggingModel _model;
    private readonly BertWordPieceTokenizer _tokenizer;
    private readonly FineTuneSettings _settings;
    private readonly double _crfLearningRate;
    private int _totalSteps = 1;

    /// <summary>
    /// UDA-style consistency training on unlabelled sentences (null = supervised only): every step adds its loss and anneals
    /// the labelled word loss (<see cref="TaggerConsistencyObjective"/>).
    /// </summary>
    public TaggerConsistencyObjective? Consistency { get; init; }

    /// <summary>Creates a trainer; <paramref name="settings"/> are validated against the encoder (pooling and class weights are not used).</summary>
    public TaggerTrainer(TaggingModel model, BertWordPieceTokenizer tokenizer, FineTuneSettings settings, double crfLearningRate = DefaultCrfLearningRate)
    {
        _model = model;
        _tokenizer = tokenizer;
        _settings = settings.Validate(model.Encoder.MaxTokens);
        if (_settings.MaxTokens < 3) throw new ArgumentOutOfRangeException(nameof(settings), _settings.MaxTokens, "MaxTokens must be at least 3 for tagging.");
        if (!(crfLearningRate > 0)) throw new ArgumentOutOfRangeException(nameof(crfLearningRate), crfLearningRate, "Must be positive.");
        _crfLearningRate = crfLearningRate;
    }

    /// <summary>Trains in place and returns a summary. Throws <see cref="OperationCanceledException"/> on cancellation.</summary>
    /// <exception cref="InvalidDataException">A training tag is not in the model's tag set (the message names the sentence's line).</exception>
    public FineTuneResult Train(IReadOnlyList<TaggedSentence> train, IReadOnlyList<TaggedSentence>? validation = null,
                                IProgress<TrainingProgress>? progress = null, CancellationToken cancellation = default)
    {
        var examples = TaggedWindow.From(_tokenizer, train, _model.Spec.Tags, _settings.MaxTokens);
        if (examples.Count == 0) throw new ArgumentException("The training set is empty.", nameof(train));
        var groups = OptimizerGroups();
        using var optimizer = new ScalarSafeAdamW(groups, _settings.LearningRate);
        var lengths = examples.Select(e => e.Window.Tokens.Length).ToArray();
        var plan = TrainingLoopPlan.ForFineTuning(_settings, lengths, _model.Encoder.Device,
            (rows, step) =>
            {
                var batch = rows.Select(i => examples[i]).ToArray();
                return (TrainStep(batch, optimizer, step), batch.Sum(b => (long)b.Window.Tokens.Length));
            },
            validation is null ? null : () => Evaluate(validation), "F1Score");
        _totalSteps = plan.TotalSteps;
        var loop = new TrainingLoop(_model, optimizer, groups, plan with { EnterTraining = SetTrainingMode });
        loop.ResumeOrSeed(Fingerprint(examples), _settings.Seed);
        return loop.Run(progress, cancellation).ToFineTuneResult();
    }

    /// <summary>Entity-level and token metrics of the current weights on <paramref name="sentences"/> (keys: Precision, Recall, F1Score, TokenAccuracy).</summary>
    public Dictionary<string, double> Evaluate(IReadOnlyList<TaggedSentence> sentences)
    {
        _model.eval();
        try
        {
            var predicted = new TagPredictor(_model, _tokenizer, _settings.MaxTokens, Math.Max(_settings.BatchSize, 32)).Predict(sentences.Select(s => (IReadOnlyList<string>)s.Tokens).ToArray());
            var tags = _model.Spec.Tags;
            var m = TokenClassificationMetrics.Compute(sentences.Select(s => (IReadOnlyList<string>)s.Tags).ToArray(),
                                                       predicted.Select(p => (IReadOnlyList<string>)p.Tags.Select(t => tags[t]).ToArray()).ToArray());
            return new Dictionary<string, double> { ["Precision"] = m.Precision, ["Recall"] = m.Recall, ["F1Score"] = m.F1Score, ["TokenAccuracy"] = m.TokenAccuracy };
        }
        finally { SetTrainingMode(); }
    }

    private void SetTrainingMode()
    {
        _model.train();
        if (_model.Spec.FeaturesOnly) _model.Encoder.eval(); // a frozen encoder gives its inference features (no dropout)
    }

    /// <summary>The fine-tuner's depth groups (only the head's in the features route), with the CRF in its own group at its own rate.</summary>
    private List<ParameterGroup> OptimizerGroups() =>
        CrfParameterGroup.Separate(
            ParameterGroups.Build(_model, _model.Encoder, _model.EncoderPrefix, _settings.LearningRate, _settings.LayerLearningRateDecay, _settings.WeightDecay)
                .Where(g => !_model.Spec.FeaturesOnly || g.Depth == 0),
            _model, _crfLearningRate);

    private double TrainStep(TaggedWindow[] batch, OptimizerHelper optimizer, int step)
    {
        using var scope = NewDisposeScope();
        var emissions = _model.Emissions(batch.Select(b => b.Window).ToArray(), _tokenizer.PadId);
        double annealing = Consistency?.AnnealingThreshold(step, _totalSteps, _model.Spec.Tags.Length) ?? 1;
        var loss = TaggingLoss.Compute(_model, emissions, batch.Select(b => b.Tags).ToArray(), annealing);
        if (Consistency is not null) loss = loss + Consistency.Loss(_model, _tokenizer.PadId, batch.Length, step);
        return GuardedStep.Run(loss, optimizer, _model, _settings.MaxGradNorm, step, "Training",
                               "Lower the learning rate or check the tags.", "Lower the learning rate.");
    }

    /// <summary>Settings, CRF rate, tag set and window lengths: what a resumed run must share with the one that wrote the checkpoint.</summary>
    private string Fingerprint(IReadOnlyList<TaggedWindow> examples)
    {
        var text = new System.Text.StringBuilder();
        text.Append(_settings with { CheckpointDirectory = null }).Append('|').Append(_crfLearningRate).Append('|').Append(_model.Spec.Head)
            .Append('|').Append(_model.Spec.FeaturesOnly).Append('|').Append(_model.Spec.BiLstmHidden).Append('|').Append(_model.Spec.CasingFeatures).Append('|').Append(string.Join(' ', _model.Spec.Tags));
        if (Consistency is not null) text.Append('|').Append(Consistency); // supervised runs keep their earlier fingerprint
        foreach (var e in examples) text.Append(',').Append(e.Window.Tokens.Length);
        return TrainingCheckpoint.Fingerprint(text.ToString());
    }
}
