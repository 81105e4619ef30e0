using System.Diagnostics;
using MLNet.Transfer.Checkpoints;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transfer.Training;

/// <summary>What <see cref="TrainingLoop.Run"/> did.</summary>
/// <param name="Steps">Optimisation steps done (including those before a resume).</param>
/// <param name="StoppedEarly">Whether early stopping ended the run.</param>
/// <param name="BestMetrics">Metrics of the best evaluation (null without scored evaluations).</param>
/// <param name="History">The progress report of every evaluation.</param>
/// <param name="Tokens">Tokens the steps of this call read.</param>
/// <param name="Elapsed">Wall time of this call.</param>
/// <param name="StepTime">Time spent in the steps alone (no evaluations or checkpoints).</param>
/// <param name="RecentLoss">Mean loss of the last steps (NaN when none had one).</param>
internal sealed record TrainingLoopResult(int Steps, bool StoppedEarly, IReadOnlyDictionary<string, double>? BestMetrics,
                                         IReadOnlyList<TrainingProgress> History, long Tokens, TimeSpan Elapsed, TimeSpan StepTime, double RecentLoss)
{
    /// <summary>The fine-tuners' summary: throughput over the wall time.</summary>
    public FineTuneResult ToFineTuneResult() =>
        new(Steps, StoppedEarly, BestMetrics, History, Elapsed, Tokens / Math.Max(Elapsed.TotalSeconds, 1e-9));
}

/// <summary>
/// The one training loop of every trainer (fine-tuning, tagging, language modelling, contrastive tuning): steps in
/// epochs, gradual unfreezing, the learning-rate schedule on every parameter group, the mean of the last 20 losses,
/// tokens/s and ETA, evaluation with best weights and early stopping, resumable checkpoints, progress and cancellation.
/// The trainer's <see cref="TrainingLoopPlan"/> says what differs. Call <see cref="ResumeOrSeed"/>, then <see cref="Run"/>.
/// </summary>
internal sealed class TrainingLoop(nn.Module model, OptimizerHelper optimizer, IReadOnlyList<ParameterGroup> groups, TrainingLoopPlan plan)
{
    private const int LossWindow = 20;
    private TrainingState _state = new();
    private Dictionary<string, Tensor>? _best;

    /// <summary>
    /// Continues from the checkpoint in the plan's folder if there is one — weights, optimizer, RNG, counters and best
    /// weights — refusing one of another run; otherwise seeds torch's RNG with <paramref name="seed"/>. True when resumed.
    /// </summary>
    /// <param name="fingerprint">The run's settings and data, stored in its checkpoints.</param>
    /// <param name="seed">Seed of a fresh run.</param>
    public bool ResumeOrSeed(string fingerprint, int seed)
    {
        _state = new TrainingState { RunFingerprint = fingerprint };
        if (!TrainingCheckpoint.Exists(plan.CheckpointDirectory))
        {
            manual_seed(seed);
            return false;
        }
        (_state, _best) = TrainingCheckpoint.Load(plan.CheckpointDirectory!, model, optimizer);
        if (!plan.RestoreBestWeights) DisposeBest();
        if (_state.RunFingerprint != fingerprint)
            throw new InvalidOperationException($"The checkpoint in '{plan.CheckpointDirectory}' belongs to a run with other settings or data; delete it or use another CheckpointDirectory.");
        return true;
    }

    /// <summary>
    /// Trains to the plan's last step (or an early stop), then puts back the best weights when asked. Whatever happens,
    /// every parameter ends trainable and the model in eval mode. Throws <see cref="OperationCanceledException"/> on
    /// cancellation and <see cref="TrainingDivergedException"/> when a step diverges.
    /// </summary>
    public TrainingLoopResult Run(IProgress<TrainingProgress>? progress, CancellationToken cancellation)
    {
        var history = new List<TrainingProgress>();
        var recentLoss = new Queue<double>();
        var clock = Stopwatch.StartNew();
        var stepClock = new Stopwatch();
        long tokens = 0;
        int startStep = _state.Step, batchesEpoch = -1;
        bool stoppedEarly = false;
        IReadOnlyList<int[]> batches = [];
        IReadOnlyDictionary<string, double>? bestMetrics = null;
        (plan.EnterTraining ?? (() => model.train()))();
        try
        {
            for (int step = startStep; step < plan.TotalSteps && !stoppedEarly; step++)
            {
                cancellation.ThrowIfCancellationRequested();
                stepClock.Start();
                int epoch = plan.EpochOf(step);
                if (epoch != batchesEpoch)
                {
                    batches = plan.EpochBatches(epoch);
                    foreach (var g in groups)
                        foreach (var p in g.Parameters) p.requires_grad = ParameterGroups.IsTrainable(g.Depth, epoch, plan.UnfreezeBlocksPerEpoch);
                    batchesEpoch = epoch;
                }
                double multiplier = LearningRateSchedule.Multiplier(plan.Schedule, step, plan.TotalSteps, plan.WarmupFraction);
                var optimizerGroups = optimizer.ParamGroups.ToList();
                for (int g = 0; g < groups.Count; g++) optimizerGroups[g].LearningRate = groups[g].PeakLearningRate * multiplier;

                double loss;
                long stepTokens;
                using (plan.BFloat16Compute ? Models.BFloat16Autocast.Enter() : null)
                    (loss, stepTokens) = plan.Step(batches[plan.BatchOf(step)], step);
                tokens += stepTokens;
                stepClock.Stop();
                if (!double.IsNaN(loss))
                {
                    recentLoss.Enqueue(loss);
                    if (recentLoss.Count > LossWindow) recentLoss.Dequeue();
                }
                _state = _state with { Step = step + 1 };

                IReadOnlyDictionary<string, double>? metrics = null;
                if (plan.Evaluate is not null && plan.EvaluatesAfter(step + 1))
                {
                    metrics = plan.Evaluate();
                    if (plan.ScoreMetric is not null) stoppedEarly = Score(metrics, ref bestMetrics);
                }
                if (plan.CheckpointDirectory is not null && plan.CheckpointsAfter(step + 1))
                    TrainingCheckpoint.Save(plan.CheckpointDirectory, model, optimizer, _state, _best);

                double seconds = (plan.TimeStepsOnly ? stepClock : clock).Elapsed.TotalSeconds;
                var eta = TimeSpan.FromSeconds(seconds / (step + 1 - startStep) * (plan.TotalSteps - step - 1));
                var report = new TrainingProgress(epoch + 1, plan.Epochs, step + 1, plan.TotalSteps, Mean(recentLoss),
                                                  groups[0].PeakLearningRate * multiplier, tokens / Math.Max(seconds, 1e-9), eta, metrics);
                if (metrics is not null) history.Add(report);
                progress?.Report(report);
            }
            if (plan.RestoreBestWeights && _best is not null) StateDictLoader.Load(model, _best, "best weights");
        }
        finally
        {
            DisposeBest();
            foreach (var p in model.parameters()) p.requires_grad = true;
            model.eval();
        }
        return new TrainingLoopResult(_state.Step, stoppedEarly, bestMetrics, history, tokens, clock.Elapsed, stepClock.Elapsed, Mean(recentLoss));
    }

    /// <summary>Ranks an evaluation: keeps its metrics (and weights) when it is the best so far; true when patience has run out.</summary>
    private bool Score(IReadOnlyDictionary<string, double> metrics, ref IReadOnlyDictionary<string, double>? bestMetrics)
    {
        double score = metrics[plan.ScoreMetric!];
        bool stop = false;
        if (double.IsNaN(_state.BestScore) || score > _state.BestScore)
        {
            _state = _state with { BestScore = score, EvaluationsWithoutImprovement = 0 };
            if (plan.RestoreBestWeights)
            {
                DisposeBest();
                using var _ = no_grad();
                _best = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone().DetachFromDisposeScope());
            }
            bestMetrics = metrics;
        }
        else
        {
            _state = _state with { EvaluationsWithoutImprovement = _state.EvaluationsWithoutImprovement + 1 };
            stop = plan.EarlyStoppingPatience > 0 && _state.EvaluationsWithoutImprovement >= plan.EarlyStoppingPatience;
        }
        bestMetrics ??= metrics; // after a resume the best evaluation's metrics are not in the checkpoint
        return stop;
    }

    private static double Mean(Queue<double> losses) => losses.Count > 0 ? losses.Average() : double.NaN;

    private void DisposeBest()
    {
        if (_best is not null)
            foreach (var w in _best.Values) w.Dispose();
        _best = null;
    }
}
