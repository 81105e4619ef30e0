namespace SemanticSearch;

/// <summary>
/// How well the nearest indexed texts predict a query's class: the label of the single nearest text (top-1 accuracy),
/// whether any of the 5 nearest has the query's label (top-5 hit rate), and the mean reciprocal rank of the first nearest
/// text with the query's label among the 10 nearest (MRR@10; 0 when none of them has it).
/// </summary>
public sealed record NearestNeighbourScores(double Top1, double Top5, double Mrr10)
{
    /// <summary>Searches <paramref name="index"/> with every query vector and scores the neighbours' labels against the query's.</summary>
    /// <param name="index">The indexed texts.</param>
    /// <param name="indexLabels">The label of each indexed id.</param>
    /// <param name="queries">Query vectors (same model as the index).</param>
    /// <param name="queryLabels">The label of each query.</param>
    public static NearestNeighbourScores Measure(VectorIndex index, IReadOnlyList<string> indexLabels, IReadOnlyList<ReadOnlyMemory<float>> queries,
                                                 IReadOnlyList<string> queryLabels)
    {
        if (queries.Count != queryLabels.Count || queries.Count == 0) throw new ArgumentException($"{queries.Count} queries but {queryLabels.Count} labels.");
        double top1 = 0, top5 = 0, reciprocalRanks = 0;
        for (int q = 0; q < queries.Count; q++)
        {
            var hits = index.Search(queries[q].Span, top: 10);
            int rank = 1 + hits.ToList().FindIndex(h => indexLabels[h.Id] == queryLabels[q]);
            if (rank == 0) continue;
            if (rank == 1) top1++;
            if (rank <= 5) top5++;
            reciprocalRanks += 1.0 / rank;
        }
        return new NearestNeighbourScores(top1 / queries.Count, top5 / queries.Count, reciprocalRanks / queries.Count);
    }

    /// <summary>
    /// Top-1 nearest-neighbour accuracy against a small sample of the index: <paramref name="perLabel"/> texts of each
    /// label drawn at random (MTEB's classification sample size is 8 per label), once per seed; mean and standard deviation over the draws.
    /// </summary>
    public static (double Mean, double Std) SampledTop1(VectorIndex index, IReadOnlyList<string> indexLabels, IReadOnlyList<ReadOnlyMemory<float>> queries,
                                                        IReadOnlyList<string> queryLabels, int perLabel, IEnumerable<int> seeds)
    {
        var accuracies = new List<double>();
        foreach (int seed in seeds)
        {
            var random = new Random(seed);
            var ids = Enumerable.Range(0, index.Count).ToArray();
            random.Shuffle(ids);
            var sample = ids.GroupBy(id => indexLabels[id]).SelectMany(g => g.Take(perLabel)).Order().ToArray();
            accuracies.Add(Measure(index.Subset(sample), [.. sample.Select(id => indexLabels[id])], queries, queryLabels).Top1);
        }
        double mean = accuracies.Average();
        return (mean, Math.Sqrt(accuracies.Sum(a => (a - mean) * (a - mean)) / Math.Max(1, accuracies.Count - 1)));
    }
}
