using MLNet.Transfer.Text;

namespace MLNet.Transfer.Training;

/// <summary>The batches of one training epoch, as example indices, for single- and multi-task data.</summary>
public static class TaskBatches
{
    /// <summary>
    /// Exactly ⌈examples / batch size⌉ length-bucketed batches for <paramref name="epoch"/>, deterministic for a seed
    /// (with a <paramref name="tokensPerBatch"/> budget, as many as the budget makes: see <see cref="Shuffled"/>).
    /// With <see cref="TaskSampling.Temperature"/>, examples are grouped by which tasks they are labelled for, every
    /// batch is drawn from one group, and a group that runs out starts over in a fresh order.
    /// </summary>
    public static List<int[]> ForEpoch(IReadOnlyList<TrainingExample> examples, int batchSize, int seed, int epoch,
                                       TaskSampling sampling = TaskSampling.Proportional, double temperature = 1, int tokensPerBatch = 0)
    {
        int epochSeed = unchecked(seed * 1_000_003 + epoch);
        var lengths = examples.Select(e => e.Tokens.Length).ToArray();
        var groups = Enumerable.Range(0, examples.Count).GroupBy(i => LabelledTasks(examples[i])).Select(g => g.ToArray()).ToArray();
        if (sampling == TaskSampling.Proportional || groups.Length == 1)
            return Shuffled(lengths, batchSize, tokensPerBatch, epochSeed);
        int steps = tokensPerBatch > 0 ? Shuffled(lengths, batchSize, tokensPerBatch, epochSeed).Count : (examples.Count + batchSize - 1) / batchSize;

        var weights = groups.Select(g => Math.Pow(g.Length, 1 / temperature)).ToArray();
        double total = weights.Sum();
        var queues = groups.Select(_ => new Queue<int[]>()).ToArray();
        var refills = new int[groups.Length];
        var random = new Random(epochSeed);
        var plan = new List<int[]>(steps);
        for (int step = 0; step < steps; step++)
        {
            int g = Pick(weights, total, random.NextDouble());
            if (queues[g].Count == 0)
            {
                var members = groups[g];
                var batches = Shuffled(members.Select(i => lengths[i]).ToArray(), batchSize, tokensPerBatch,
                                       unchecked(epochSeed * 31 + g * 7919 + refills[g]++));
                foreach (var batch in batches) queues[g].Enqueue(batch.Select(i => members[i]).ToArray());
            }
            plan.Add(queues[g].Dequeue());
        }
        return plan;
    }

    /// <summary>
    /// One epoch's length-bucketed batches of items of these <paramref name="lengths"/>: <paramref name="batchSize"/>
    /// items each, or — with a positive <paramref name="tokensPerBatch"/> (<see cref="FineTuneSettings.TokensPerBatch"/>) —
    /// as many as fit in that many padded tokens, at most <see cref="FineTuneSettings.MaxRowsPerBudgetBatch"/> ×
    /// <paramref name="batchSize"/>. Deterministic for a seed.
    /// </summary>
    public static List<int[]> Shuffled(IReadOnlyList<int> lengths, int batchSize, int tokensPerBatch, int seed) =>
        tokensPerBatch > 0
            ? [.. LengthBatching.ShuffledBatchesByTokenBudget(lengths, tokensPerBatch, batchSize * FineTuneSettings.MaxRowsPerBudgetBatch, seed)]
            : [.. LengthBatching.ShuffledBatches(lengths, batchSize, seed)];

    /// <summary>A bit mask of the tasks an example has a label for (its data set, in effect).</summary>
    private static long LabelledTasks(TrainingExample example)
    {
        long mask = 0;
        for (int t = 0; t < example.Targets.Length && t < 63; t++)
            if (example.Targets[t] is not null) mask |= 1L << t;
        return mask;
    }

    private static int Pick(double[] weights, double total, double u)
    {
        double at = u * total;
        for (int i = 0; i < weights.Length; i++)
        {
            at -= weights[i];
            if (at < 0) return i;
        }
        return weights.Length - 1;
    }
}
