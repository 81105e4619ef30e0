using MLNet.Transfer.Models;
using System.Diagnostics;
using MLNet.Transfer.Checkpoints;
using MLNet.Transfer.Models.Heads;
using MLNet.Transfer.Text;
using TorchSharp;
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
        var tasks = model.Tasks;
        CheckExamples(train, "training");
        if (validation is not null) CheckExamples(validation, "validation");
        var classWeights = tasks.Select((t, i) => _settings.BalanceClasses ? ClassWeights(t, i, train) : null).ToArray();
        var device = model.Encoder.Device;

        var groups = ParameterGroups.Build(model, _settings.LearningRate, _settings.LayerLearningRateDecay, _settings.WeightDecay);
        using var optimizer = new ScalarSafeAdamW(groups, _settings.LearningRate);
        int stepsPerEpoch = (train.Count + _settings.BatchSize - 1) / _settings.BatchSize;
        int totalSteps = stepsPerEpoch * _settings.Epochs;

        var state = new TrainingState { RunFingerprint = Fingerprint(train) };
        Dictionary<string, Tensor>? best = null;
        IReadOnlyDictionary<string, double>? bestMetrics = null;
        if (TrainingCheckpoint.Exists(_settings.CheckpointDirectory))
        {
            var fingerprint = state.RunFingerprint;
            (state, best) = TrainingCheckpoint.Load(_settings.CheckpointDirectory!, model, optimizer);
            if (state.RunFingerprint != fingerprint)
                throw new InvalidOperationException($"The checkpoint in '{_settings.CheckpointDirectory}' belongs to a run with other settings or data; delete it or use another CheckpointDirectory.");
        }
        else
        {
            manual_seed(_settings.Seed);
        }

        var history = new List<TrainingProgress>();
        var recentLoss = new Queue<double>();
        var clock = Stopwatch.StartNew();
        long tokensSeen = 0;
        int startStep = state.Step, frozenEpoch = -1;
        bool stoppedEarly = false;
        List<int[]>? batches = null;
        model.train();
        for (int step = state.Step; step < totalSteps && !stoppedEarly; step++)
        {
            cancellation.ThrowIfCancellationRequested();
            int epoch = step / stepsPerEpoch;
            if (epoch != frozenEpoch)
            {
                batches = SortishBatches(train, epoch);
                foreach (var g in groups)
                    foreach (var p in g.Parameters) p.requires_grad = ParameterGroups.IsTrainable(g.Depth, epoch, _settings.UnfreezeBlocksPerEpoch);
                frozenEpoch = epoch;
            }
            double multiplier = LearningRateSchedule.Multiplier(_settings.Schedule, step, totalSteps, _settings.WarmupFraction);
            var optimizerGroups = optimizer.ParamGroups.ToList();
            for (int g = 0; g < groups.Count; g++) optimizerGroups[g].LearningRate = groups[g].PeakLearningRate * multiplier;

            var batch = batches![step % stepsPerEpoch].Select(i => train[i]).ToArray();
            double loss = TrainStep(batch, optimizer, classWeights, device, step);
            tokensSeen += batch.Sum(b => (long)b.Tokens.Length);
            recentLoss.Enqueue(loss);
            if (recentLoss.Count > 20) recentLoss.Dequeue();
            state = state with { Step = step + 1 };

            bool epochEnd = (step + 1) % stepsPerEpoch == 0;
            IReadOnlyDictionary<string, double>? metrics = null;
            if (validation is not null && (_settings.EvaluateEverySteps > 0 ? (step + 1) % _settings.EvaluateEverySteps == 0 || step + 1 == totalSteps : epochEnd))
            {
                metrics = Evaluate(validation);
                double score = metrics["score"];
                if (double.IsNaN(state.BestScore) || score > state.BestScore)
                {
                    state = state with { BestScore = score, EvaluationsWithoutImprovement = 0 };
                    if (_settings.RestoreBestWeights) { DisposeAll(best); best = CloneWeights(); }
                    bestMetrics = metrics;
                }
                else
                {
                    state = state with { EvaluationsWithoutImprovement = state.EvaluationsWithoutImprovement + 1 };
                    stoppedEarly = _settings.EarlyStoppingPatience > 0 && state.EvaluationsWithoutImprovement >= _settings.EarlyStoppingPatience;
                }
                bestMetrics ??= metrics;
            }
            if (_settings.CheckpointDirectory is not null && (_settings.CheckpointEverySteps > 0 ? (step + 1) % _settings.CheckpointEverySteps == 0 : epochEnd))
                TrainingCheckpoint.Save(_settings.CheckpointDirectory, model, optimizer, state, best);

            double seconds = clock.Elapsed.TotalSeconds;
            double rate = tokensSeen / Math.Max(seconds, 1e-9);
            var eta = TimeSpan.FromSeconds(seconds / (step + 1 - startStep) * (totalSteps - step - 1));
            var report = new TrainingProgress(epoch + 1, _settings.Epochs, step + 1, totalSteps, recentLoss.Average(),
                                              groups[0].PeakLearningRate * multiplier, rate, eta, metrics);
            if (metrics is not null) history.Add(report);
            progress?.Report(report);
        }

        if (_settings.RestoreBestWeights && best is not null)
        {
            StateDictLoader.Load(model, best, "best weights");
        }
        DisposeAll(best);
        foreach (var p in model.parameters()) p.requires_grad = true;
        model.eval();
        return new FineTuneResult(state.Step, stoppedEarly, bestMetrics, history, clock.Elapsed, tokensSeen / Math.Max(clock.Elapsed.TotalSeconds, 1e-9));
    }

    private double TrainStep(TrainingExample[] batch, OptimizerHelper optimizer, float[]?[] classWeights, Device device, int step)
    {
        using var scope = NewDisposeScope();
        using var tokens = TokenBatch.Create(batch.Select(b => b.Tokens).ToArray(), padId, device);
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
        TaskBatches.ForEpoch(train, _settings.BatchSize, _settings.Seed, epoch, _settings.TaskSampling, _settings.SamplingTemperature);

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
        return Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text.ToString())))[..16];
    }

    private Dictionary<string, Tensor> CloneWeights()
    {
        using var _ = no_grad();
        return model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone().DetachFromDisposeScope());
    }

    private static void DisposeAll(Dictionary<string, Tensor>? weights)
    {
        if (weights is null) return;
        foreach (var w in weights.Values) w.Dispose();
    }
}
