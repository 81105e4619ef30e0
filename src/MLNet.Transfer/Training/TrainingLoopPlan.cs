namespace MLNet.Transfer.Training;

/// <summary>
/// What a trainer tells <see cref="TrainingLoop"/>: how long the run is, when it evaluates and checkpoints, and the
/// few things it does its own way — how an epoch is batched, what one step's loss is, how the weights are evaluated.
/// </summary>
internal sealed record TrainingLoopPlan
{
    /// <summary>Optimisation steps in the whole run.</summary>
    public required int TotalSteps { get; init; }
    /// <summary>Steps per epoch; step s uses batch s mod this of its epoch's batches.</summary>
    public required int StepsPerEpoch { get; init; }
    /// <summary>Epochs, as shown in the progress reports.</summary>
    public required int Epochs { get; init; }
    /// <summary>Learning-rate schedule over <see cref="TotalSteps"/>, applied to every parameter group's peak rate.</summary>
    public required ScheduleKind Schedule { get; init; }
    /// <summary>Warm-up share (or cut fraction) of the schedule.</summary>
    public required double WarmupFraction { get; init; }
    /// <summary>Gradual unfreezing: encoder blocks thawed per epoch, from the top (0 = everything trainable throughout).</summary>
    public int UnfreezeBlocksPerEpoch { get; init; }

    /// <summary>The batches (row indices) of an epoch (0-based).</summary>
    public required Func<int, IReadOnlyList<int[]>> EpochBatches { get; init; }
    /// <summary>
    /// One optimisation step (through <see cref="GuardedStep"/>) on a batch's rows at a 0-based step: its loss (NaN = the
    /// batch had nothing to learn from, left out of the reported mean) and the tokens it read.
    /// </summary>
    public required Func<int[], int, (double Loss, long Tokens)> Step { get; init; }
    /// <summary>Puts the model in training mode at the start (null = <c>train()</c>); <see cref="Evaluate"/> puts back its own mode.</summary>
    public Action? EnterTraining { get; init; }

    /// <summary>Metrics of the current weights on held-out data (null = no evaluation).</summary>
    public Func<IReadOnlyDictionary<string, double>>? Evaluate { get; init; }
    /// <summary>Whether to evaluate once this many steps are done.</summary>
    public Func<int, bool> EvaluatesAfter { get; init; } = _ => false;
    /// <summary>The metric that ranks evaluations, higher is better (null = no best weights, no early stopping).</summary>
    public string? ScoreMetric { get; init; }
    /// <summary>Put back the weights of the best evaluation at the end (they are also kept in checkpoints).</summary>
    public bool RestoreBestWeights { get; init; }
    /// <summary>Stop after this many evaluations without improvement (0 = never).</summary>
    public int EarlyStoppingPatience { get; init; }

    /// <summary>Folder for resumable checkpoints (null = none).</summary>
    public string? CheckpointDirectory { get; init; }
    /// <summary>Whether to write a checkpoint once this many steps are done.</summary>
    public Func<int, bool> CheckpointsAfter { get; init; } = _ => false;
    /// <summary>Tokens per second and the ETA count only the steps' own time, not evaluations and checkpoints.</summary>
    public bool TimeStepsOnly { get; init; }

    /// <summary>
    /// The fine-tuners' plan from their settings: epochs of <paramref name="examples"/> in batches, the schedule, gradual
    /// unfreezing, early stopping on <paramref name="scoreMetric"/>, evaluation and checkpoints every N steps or at each
    /// epoch's end (evaluation also after the last step when every N steps).
    /// </summary>
    public static TrainingLoopPlan ForFineTuning(FineTuneSettings s, int examples, Func<int, IReadOnlyList<int[]>> epochBatches,
                                                 Func<int[], int, (double Loss, long Tokens)> step,
                                                 Func<IReadOnlyDictionary<string, double>>? evaluate, string scoreMetric)
    {
        int stepsPerEpoch = (examples + s.BatchSize - 1) / s.BatchSize;
        int totalSteps = stepsPerEpoch * s.Epochs;
        return new TrainingLoopPlan
        {
            TotalSteps = totalSteps, StepsPerEpoch = stepsPerEpoch, Epochs = s.Epochs,
            Schedule = s.Schedule, WarmupFraction = s.WarmupFraction, UnfreezeBlocksPerEpoch = s.UnfreezeBlocksPerEpoch,
            EpochBatches = epochBatches, Step = step,
            Evaluate = evaluate, ScoreMetric = scoreMetric,
            EvaluatesAfter = done => s.EvaluateEverySteps > 0 ? done % s.EvaluateEverySteps == 0 || done == totalSteps : done % stepsPerEpoch == 0,
            RestoreBestWeights = s.RestoreBestWeights, EarlyStoppingPatience = s.EarlyStoppingPatience,
            CheckpointDirectory = s.CheckpointDirectory,
            CheckpointsAfter = done => s.CheckpointEverySteps > 0 ? done % s.CheckpointEverySteps == 0 : done % stepsPerEpoch == 0,
        };
    }
}
