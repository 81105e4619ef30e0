using MLNet.Transfer.Text;

namespace MLNet.Transfer.Training;

/// <summary>The batches of one training epoch, as example indices, for single- and multi-task data.</summary>
public static class TaskBatches
{
    /// <summary>
    /// Exactly ⌈examples / batch size⌉ length-bucketed batches for <paramref name="epoch"/>, deterministic for a seed.
    /// With <see cref="TaskSampling.Temperature"/>, examples are grouped by which tasks they are labelled for, every
    /// batch is drawn from one group, and a group that runs out starts over in a fresh order.
    /// </summary>
    public static List<int[]> ForEpoch(IReadOnlyList<TrainingExample> examples, int batchSize, int seed, int epoch,
                                       TaskSampling sampling = TaskSampling.Proportional, double temperature = 1)
    {
        int epochSeed = unchecked(seed * 1_000_003 + epoch);
        int steps = (examples.Count + batchSize - 1) / batchSize;
        var groups = Enumerable.Range(0, examples.Count).GroupBy(i => LabelledTasks(examples[i])).Select(g => g.ToArray()).ToArray();
        if (sampling == TaskSampling.Proportional || groups.Length == 1)
            return LengthBatching.ShuffledBatches(examples.Select(e => e.Tokens.Length).ToArray(), batchSize, epochSeed).ToList();

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
                var batches = LengthBatching.ShuffledBatches(members.Select(i => examples[i].Tokens.Length).ToArray(), batchSize,
                                                             unchecked(epochSeed * 31 + g * 7919 + refills[g]++));
                foreach (var batch in batches) queues[g].Enqueue(batch.Select(i => members[i]).ToArray());
            }
            plan.Add(queues[g].Dequeue());
        }
        return plan;
    }

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
