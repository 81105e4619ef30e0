using MLNet.Transfer.Models;
using MLNet.Transfer.Models.Heads;
using MLNet.Transfer.Text;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transfer.Training;

/// <summary>Outcome of a fine-tuning run.</summary>
/// <param name="Steps">Optimisation steps done (including those before a resume).</param>
/// <param name="StoppedEarly">Whether early stopping ended the run.</param>
/// <param name="BestValidation">Metrics of the best validation evaluation (null without validation data).</param>
/// <param name="History">Every evaluation's report.</param>
/// <param name="Duration">Wall time of this call.</param>
/// <param name="TokensPerSecond">Training throughput (non-padding tokens) of this call.</param>
public sealed record FineTuneResult(int Steps, bool StoppedEarly, IReadOnlyDictionary<string, double>? BestValidation,
                                    IReadOnlyList<TrainingProgress> History, TimeSpan Duration, double TokensPerSecond);

/// <summary>
/// Fine-tunes a <see cref="TransferModel"/> (encoder + heads) on tokenized examples: AdamW with decay groups,
/// warm-up/decay or slanted-triangular schedules, discriminative rates, gradual unfreezing, clipping, class
/// weights, early stopping with best-weight restore, resumable checkpoints, progress and cancellation.
/// </summary>
public sealed class FineTuner(TransferModel model, FineTuneSettings settings, int padId)
{
    private readonly FineTuneSettings _settings = settings.Validate(model.Encoder.MaxTokens, model.Tasks);

    /// <summary>Trains in place and returns a summary. Throws <see cref="OperationCanceledException"/> on cancellation.</summary>
    public FineTuneResult Train(IReadOnlyList<TrainingExample> train, IReadOnlyList<TrainingExample>? validation = null,
                                IProgress<TrainingProgress>? progress = null, CancellationToken cancellation = default)
    {
        CheckExamples(train, "training");
        if (validation is not null) CheckExamples(validation, "validation");
        var classWeights = model.Tasks.Select((t, i) => _settings.BalanceClasses ? ClassWeights(t, i, train) : null).ToArray();
        var groups = ParameterGroups.Build(model, _settings.LearningRate, _settings.LayerLearningRateDecay, _settings.WeightDecay);
        using var optimizer = new ScalarSafeAdamW(groups, _settings.LearningRate);
        var plan = TrainingLoopPlan.ForFineTuning(_settings, [.. train.Select(t => t.Tokens.Length)], model.Encoder.Device,
            (rows, step) =>
            {
                var batch = rows.Select(i => train[i]).ToArray();
                return (TrainStep(batch, optimizer, classWeights, step), batch.Sum(b => (long)b.Tokens.Length));
            },
            validation is null ? null : () => Evaluate(validation), "score", epoch => SortishBatches(train, epoch));
        var loop = new TrainingLoop(model, optimizer, groups, plan);
        loop.ResumeOrSeed(Fingerprint(train), _settings.Seed);
        return loop.Run(progress, cancellation).ToFineTuneResult();
    }

    private double TrainStep(TrainingExample[] batch, OptimizerHelper optimizer, float[]?[] classWeights, int step)
    {
        using var scope = NewDisposeScope();
        using var tokens = TokenBatch.Create(batch.Select(b => b.Tokens).ToArray(), padId, model.Encoder.Device);
        var logits = model.Forward(tokens.InputIds, tokens.TokenTypeIds, tokens.AttentionMask);
        Tensor? total = null;
        for (int t = 0; t < model.Tasks.Count; t++)
        {
            var task = model.Tasks[t];
            var taskLoss = TaskLosses.Compute(task, logits[task.Name], batch.Select(b => b.Targets[t]).ToArray(), classWeights[t]);
            if (taskLoss is null) continue;
            var weighted = taskLoss.Times(task.LossWeight);
            total = total is null ? weighted : total.Plus(weighted);
        }
        if (total is null) return 0; // no labels in this batch for any task
        return GuardedStep.Run(total, optimizer, model, _settings.MaxGradNorm, step, "Training",
                               "Lower the learning rate or check the labels; the last checkpoint (if any) is intact.",
                               "Lower the learning rate; the last checkpoint (if any) is intact.");
    }

    private Dictionary<string, double> Evaluate(IReadOnlyList<TrainingExample> validation)
    {
        model.eval();
        try
        {
            var outputs = new TaskPredictor(model, padId, Math.Max(_settings.BatchSize, 32)).Predict(validation.Select(v => v.Tokens).ToArray());
            return ValidationMetrics.Compute(model.Tasks, outputs, validation, _settings.EarlyStoppingTask);
        }
        finally { model.train(); }
    }

    /// <summary>Shuffled batches of similar length (fastai's "sortish" sampler), seeded per epoch so a resumed run sees the same order.</summary>
    private List<int[]> SortishBatches(IReadOnlyList<TrainingExample> train, int epoch) =>
        TaskBatches.ForEpoch(train, _settings.BatchSize, _settings.Seed, epoch, _settings.TaskSampling, _settings.SamplingTemperature, _settings.TokensPerBatch);

    private void CheckExamples(IReadOnlyList<TrainingExample> examples, string what)
    {
        if (examples.Count == 0) throw new ArgumentException($"The {what} set is empty.");
        for (int i = 0; i < examples.Count; i++)
            if (examples[i].Targets.Length != model.Tasks.Count)
                throw new ArgumentException($"{what} example {i} has {examples[i].Targets.Length} targets but the model has {model.Tasks.Count} tasks.");
    }

    private static float[]? ClassWeights(TaskSpec task, int index, IReadOnlyList<TrainingExample> train)
    {
        if (task.Kind is not (TaskKind.Binary or TaskKind.Multiclass)) return null;
        int classes = task.Kind == TaskKind.Binary ? 2 : task.Outputs;
        var counts = new int[classes];
        foreach (var e in train)
            if (e.Targets[index] is { } t) counts[task.Kind == TaskKind.Binary ? (t[0] > 0.5f ? 1 : 0) : (int)t[0]]++;
        double n = counts.Sum();
        return counts.Select(c => c == 0 ? 0f : (float)(n / (classes * c))).ToArray();
    }

    /// <summary>A stable (cross-process) fingerprint of settings, tasks and data shape, to refuse resuming another run.</summary>
    private string Fingerprint(IReadOnlyList<TrainingExample> train)
    {
        var text = new System.Text.StringBuilder();
        text.Append(_settings with { CheckpointDirectory = null }).Append('|').Append(train.Count);
        foreach (var t in model.Tasks) text.Append('|').Append(t);
        foreach (var e in train) text.Append(',').Append(e.Tokens.Length);
        return TrainingCheckpoint.Fingerprint(text.ToString());
    }
}
