namespace MLNet.Transfer.Training;

/// <summary>
/// What a trainer tells <see cref="TrainingLoop"/>: how long the run is, when it evaluates and checkpoints, and the
/// few things it does its own way — how an epoch is batched, what one step's loss is, how the weights are evaluated.
/// </summary>
internal sealed record TrainingLoopPlan
{
    /// <summary>Optimisation steps in the whole run.</summary>
    public required int TotalSteps { get; init; }
    /// <summary>Steps per epoch; step s uses batch s mod this of its epoch's batches (unless <see cref="EpochSteps"/> says otherwise).</summary>
    public required int StepsPerEpoch { get; init; }
    /// <summary>Steps of each epoch when they differ (token-budget batches); null = <see cref="StepsPerEpoch"/> every epoch.</summary>
    public IReadOnlyList<int>? EpochSteps { get; init; }
    /// <summary>Run every step inside a <see cref="Models.BFloat16Autocast"/> scope (bf16 mixed precision); evaluation stays outside.</summary>
    public bool BFloat16Compute { get; init; }
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

    /// <summary>The 0-based epoch of a 0-based step.</summary>
    public int EpochOf(int step)
    {
        if (EpochSteps is null) return step / StepsPerEpoch;
        int epoch = 0;
        for (int start = 0; epoch < EpochSteps.Count - 1 && step >= start + EpochSteps[epoch]; epoch++) start += EpochSteps[epoch];
        return epoch;
    }

    /// <summary>Which of its epoch's batches a 0-based step uses.</summary>
    public int BatchOf(int step)
    {
        if (EpochSteps is null) return step % StepsPerEpoch;
        int epoch = EpochOf(step), start = 0;
        for (int e = 0; e < epoch; e++) start += EpochSteps[e];
        return step - start;
    }

    /// <summary>Whether an epoch ends once this many steps are done.</summary>
    public bool EndsEpoch(int done) => done > 0 && (EpochSteps is null ? done % StepsPerEpoch == 0 : EpochOf(done - 1) != EpochOf(done) || done == TotalSteps);

    /// <summary>
    /// The fine-tuners' plan from their settings: epochs of items of these <paramref name="lengths"/> in length-bucketed
    /// batches (<see cref="TaskBatches.Shuffled"/>: <see cref="FineTuneSettings.BatchSize"/> items or a
    /// <see cref="FineTuneSettings.TokensPerBatch"/> budget, unless <paramref name="epochBatches"/> batches its own way),
    /// the schedule over the steps those batches make, gradual unfreezing, bf16 compute when
    /// <see cref="FineTuneSettings.UsesBFloat16"/> on <paramref name="device"/>, early stopping on
    /// <paramref name="scoreMetric"/>, evaluation and checkpoints every N steps or at each epoch's end (evaluation also
    /// after the last step when every N steps).
    /// </summary>
    public static TrainingLoopPlan ForFineTuning(FineTuneSettings s, IReadOnlyList<int> lengths, TorchSharp.torch.Device device,
                                                 Func<int[], int, (double Loss, long Tokens)> step,
                                                 Func<IReadOnlyDictionary<string, double>>? evaluate, string scoreMetric,
                                                 Func<int, IReadOnlyList<int[]>>? epochBatches = null)
    {
        epochBatches ??= epoch => TaskBatches.Shuffled(lengths, s.BatchSize, s.TokensPerBatch, unchecked(s.Seed * 1_000_003 + epoch));
        int stepsPerEpoch = (lengths.Count + s.BatchSize - 1) / s.BatchSize;
        int[]? epochSteps = null;
        if (s.TokensPerBatch > 0) // the budget decides how many steps each epoch has: batch every epoch now (milliseconds), count them
        {
            var epochs = Enumerable.Range(0, s.Epochs).Select(epochBatches).ToArray();
            epochSteps = [.. epochs.Select(e => e.Count)];
            epochBatches = epoch => epochs[epoch];
            stepsPerEpoch = epochSteps[0];
        }
        int totalSteps = epochSteps?.Sum() ?? stepsPerEpoch * s.Epochs;
        var plan = new TrainingLoopPlan
        {
            TotalSteps = totalSteps, StepsPerEpoch = stepsPerEpoch, EpochSteps = epochSteps, Epochs = s.Epochs,
            Schedule = s.Schedule, WarmupFraction = s.WarmupFraction, UnfreezeBlocksPerEpoch = s.UnfreezeBlocksPerEpoch,
            EpochBatches = epochBatches, Step = step, BFloat16Compute = s.UsesBFloat16(device),
            Evaluate = evaluate, ScoreMetric = scoreMetric,
            RestoreBestWeights = s.RestoreBestWeights, EarlyStoppingPatience = s.EarlyStoppingPatience,
            CheckpointDirectory = s.CheckpointDirectory,
        };
        return plan with
        {
            EvaluatesAfter = done => s.EvaluateEverySteps > 0 ? done % s.EvaluateEverySteps == 0 || done == totalSteps : plan.EndsEpoch(done),
            CheckpointsAfter = done => s.CheckpointEverySteps > 0 ? done % s.CheckpointEverySteps == 0 : plan.EndsEpoch(done),
        };
    }
}
