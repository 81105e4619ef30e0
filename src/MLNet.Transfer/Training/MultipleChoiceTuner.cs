using MLNet.Transfer.Models;
using MLNet.Transfer.Models.Heads;
using MLNet.Transfer.Text;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transfer.Training;

/// <summary>One multiple-choice question: each candidate joined to its context ([CLS] context [SEP] candidate [SEP]) and the right one's index.</summary>
/// <param name="Candidates">The tokenized (context, candidate) pairs, in candidate order.</param>
/// <param name="Answer">0-based index of the right candidate.</param>
public sealed record ChoiceExample(IReadOnlyList<EncodedText> Candidates, int Answer);

/// <summary>
/// Fine-tunes a <see cref="TransferModel"/> whose one task is a one-output scorer (a <see cref="TaskKind.Binary"/> head) as a
/// multiple-choice model, the OpenAI transformer's (GPT-1) transformation: every candidate of a question is scored on its own,
/// and the loss is the cross-entropy of the softmax across the question's candidates (<see cref="MultipleChoice.Loss"/>).
/// Everything else is the fine-tuners' loop: schedule, unfreezing, clipping, bf16, early stopping on validation accuracy,
/// checkpoints, and GPT-1's auxiliary language-model loss (λ × next-token loss of every candidate sequence) when
/// <see cref="FineTuneSettings.AuxiliaryLanguageModelWeight"/> is positive.
/// </summary>
public sealed class MultipleChoiceTuner
{
    private readonly TransferModel _model;
    private readonly FineTuneSettings _settings;
    private readonly int _padId;
    private readonly string _task;

    /// <summary>Creates the tuner; <paramref name="model"/> must have exactly one task, a binary (one-output) head.</summary>
    public MultipleChoiceTuner(TransferModel model, FineTuneSettings settings, int padId)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Tasks is not [{ Kind: TaskKind.Binary } task])
            throw new ArgumentException("A multiple-choice model has exactly one task: a one-output (binary) scorer head.", nameof(model));
        _model = model;
        _settings = settings.Validate(model.Encoder.MaxTokens, model.Tasks);
        _padId = padId;
        _task = task.Name;
    }

    /// <summary>The auxiliary objective's language-model head (needed when the settings' weight is positive; see <see cref="FineTuner.LanguageModelHead"/>).</summary>
    public BertLmHead? LanguageModelHead { get; init; }

    private BertLmHead? AuxiliaryHead => _settings.AuxiliaryLanguageModelWeight > 0 ? LanguageModelHead : null;

    /// <summary>Trains in place; validation (if any) is scored by accuracy. Throws <see cref="OperationCanceledException"/> on cancellation.</summary>
    public FineTuneResult Train(IReadOnlyList<ChoiceExample> train, IReadOnlyList<ChoiceExample>? validation = null,
                                IProgress<TrainingProgress>? progress = null, CancellationToken cancellation = default)
    {
        int candidates = Check(train, "training", null);
        if (validation is not null) Check(validation, "validation", candidates);
        if (_settings.AuxiliaryLanguageModelWeight > 0 && (LanguageModelHead is null || !NextTokenLoss.AppliesTo(_model.Encoder)))
            throw new ArgumentException($"AuxiliaryLanguageModelWeight {_settings.AuxiliaryLanguageModelWeight} needs a causal (is_decoder) encoder and its LanguageModelHead; set it to 0 for this encoder.");
        var groups = ParameterGroups.Build(_model, _settings.LearningRate, _settings.LayerLearningRateDecay, _settings.WeightDecay).ToList();
        if (AuxiliaryHead is { } head) groups.AddRange(ParameterGroups.Build(head, 0, _settings.LearningRate, 1, _settings.WeightDecay));
        var clipped = AuxiliaryHead is { } auxiliary ? new ModuleList<nn.Module>(_model, auxiliary) : (nn.Module)_model;
        using var optimizer = new ScalarSafeAdamW(groups, _settings.LearningRate);
        var plan = TrainingLoopPlan.ForFineTuning(_settings, [.. train.Select(e => e.Candidates.Sum(c => c.Length))], _model.Encoder.Device,
            (rows, step) =>
            {
                var batch = rows.Select(i => train[i]).ToArray();
                return (Step(batch, candidates, optimizer, clipped, step), batch.Sum(b => b.Candidates.Sum(c => (long)c.Length)));
            },
            validation is null ? null : () => Evaluate(validation), "score");
        var loop = new TrainingLoop(_model, optimizer, groups, plan);
        loop.ResumeOrSeed(TrainingCheckpoint.Fingerprint($"{_settings with { CheckpointDirectory = null }}|multiple choice {candidates}|{train.Count}|" +
                                                         string.Join(',', train.Select(e => e.Candidates.Sum(c => c.Length)))), _settings.Seed);
        return loop.Run(progress, cancellation).ToFineTuneResult();
    }

    /// <summary>
    /// The softmax across each question's candidate scores [question][candidate], each candidate scored by
    /// <paramref name="predictor"/> (any runtime) — the probabilities of each candidate being the right one.
    /// </summary>
    public static float[][] Probabilities(TaskPredictor predictor, IReadOnlyList<IReadOnlyList<EncodedText>> questions)
    {
        ArgumentNullException.ThrowIfNull(predictor);
        var scores = predictor.Predict([.. questions.SelectMany(q => q)])[0];
        var result = new float[questions.Count][];
        int at = 0;
        for (int q = 0; q < questions.Count; q++)
        {
            var logits = scores.AsSpan(at, questions[q].Count).ToArray().Select(s => s[0]).ToArray();
            at += logits.Length;
            result[q] = HeadProbabilities.Softmax(logits);
        }
        return result;
    }

    private double Step(ChoiceExample[] batch, int candidates, OptimizerHelper optimizer, nn.Module clipped, int step)
    {
        using var scope = NewDisposeScope();
        using var tokens = TokenBatch.Create([.. batch.SelectMany(b => b.Candidates)], _padId, _model.Encoder.Device);
        var states = _model.Encoder.Forward(tokens.InputIds, tokens.TokenTypeIds, tokens.AttentionMask)[^1];
        var scores = _model.HeadsOver(states, tokens.AttentionMask)[_task];
        var loss = MultipleChoice.Loss(scores, candidates, [.. batch.Select(b => b.Answer)]);
        if (AuxiliaryHead is { } head)
            loss = loss.Plus(NextTokenLoss.Compute(head, states, tokens.InputIds, tokens.AttentionMask).Times(_settings.AuxiliaryLanguageModelWeight));
        return GuardedStep.Run(loss, optimizer, clipped, _settings.MaxGradNorm, step, "Multiple-choice training",
                               "Lower the learning rate or check the answers; the last checkpoint (if any) is intact.",
                               "Lower the learning rate; the last checkpoint (if any) is intact.");
    }

    private Dictionary<string, double> Evaluate(IReadOnlyList<ChoiceExample> validation)
    {
        _model.eval();
        try
        {
            var predictor = new TaskPredictor(_model, _padId, Math.Max(_settings.BatchSize, 32));
            var probabilities = Probabilities(predictor, [.. validation.Select(v => v.Candidates)]);
            double accuracy = validation.Select((v, i) => Array.IndexOf(probabilities[i], probabilities[i].Max()) == v.Answer ? 1.0 : 0).Average();
            return new Dictionary<string, double> { [$"{_task}.accuracy"] = accuracy, ["score"] = accuracy };
        }
        finally { _model.train(); }
    }

    /// <summary>Every question has the same number (at least 2) of candidates and an answer among them; returns that number.</summary>
    private static int Check(IReadOnlyList<ChoiceExample> examples, string what, int? expected)
    {
        if (examples.Count == 0) throw new ArgumentException($"The {what} set is empty.");
        int candidates = expected ?? examples[0].Candidates.Count;
        if (candidates < 2) throw new ArgumentException($"A multiple-choice question needs at least 2 candidates; the {what} set has {candidates}.");
        for (int i = 0; i < examples.Count; i++)
        {
            if (examples[i].Candidates.Count != candidates)
                throw new ArgumentException($"{what} question {i} has {examples[i].Candidates.Count} candidates but the others have {candidates}.");
            if (examples[i].Answer < 0 || examples[i].Answer >= candidates)
                throw new ArgumentOutOfRangeException(nameof(examples), $"{what} question {i}: answer {examples[i].Answer} is not a candidate index from 0 to {candidates - 1}.");
        }
        return candidates;
    }
}
