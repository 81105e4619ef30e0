namespace MLNet.Transfer.Text;

/// <summary>
/// Groups items into batches of similar length so that dynamic padding (see <see cref="TokenBatch"/>) wastes
/// little compute. Each batch is an array of indices into the caller's list; callers put results back in the
/// original order with <c>results[index[j]] = batchResults[j]</c>.
/// </summary>
public static class LengthBatching
{
    /// <summary>
    /// All indices sorted by length, longest first (ties keep their original order), cut into batches of
    /// <paramref name="batchSize"/>. Longest first makes the largest allocation happen in the first batch, so
    /// memory problems show at once and the allocator reuses that block afterwards. For inference.
    /// </summary>
    /// <param name="lengths">Token count of each item.</param>
    /// <param name="batchSize">Items per batch (the last may be smaller); at least 1.</param>
    public static IEnumerable<int[]> Batches(IReadOnlyList<int> lengths, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(lengths);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        return Chunk(SortedLongestFirst(lengths, Enumerable.Range(0, lengths.Count).ToArray()), batchSize);
    }

    /// <summary>
    /// Like <see cref="Batches"/>, but each batch holds as many items as fit in a token budget:
    /// count × longest length ≤ <paramref name="maxTokensPerBatch"/> (a single longer item gets a batch of its
    /// own). Keeps memory per batch roughly constant, so short texts run in big batches.
    /// </summary>
    /// <param name="lengths">Token count of each item.</param>
    /// <param name="maxTokensPerBatch">Padded tokens per batch (batch × sequence length), at least 1.</param>
    /// <param name="maxBatchSize">Upper bound on items per batch, at least 1.</param>
    public static IEnumerable<int[]> BatchesByTokenBudget(IReadOnlyList<int> lengths, int maxTokensPerBatch, int maxBatchSize = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(lengths);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTokensPerBatch, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatchSize, 1);
        return ByBudget(SortedLongestFirst(lengths, Enumerable.Range(0, lengths.Count).ToArray()), lengths, maxTokensPerBatch, maxBatchSize);
    }

    /// <summary>
    /// Batches for training: indices are shuffled, cut into pools of <paramref name="poolBatches"/> batches,
    /// each pool is sorted by length and cut into batches, and the batch order is shuffled. Batches stay
    /// random but hold similar lengths ("bucketing"). Deterministic for a given seed.
    /// </summary>
    /// <param name="lengths">Token count of each item.</param>
    /// <param name="batchSize">Items per batch, at least 1.</param>
    /// <param name="seed">Random seed; use a different one per epoch.</param>
    /// <param name="poolBatches">Batches per sorting pool, at least 1; larger pads less but is less random. Default 50.</param>
    public static IEnumerable<int[]> ShuffledBatches(IReadOnlyList<int> lengths, int batchSize, int seed, int poolBatches = 50)
    {
        ArgumentNullException.ThrowIfNull(lengths);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(poolBatches, 1);
        return Shuffled(lengths, batchSize, seed, poolBatches, sorted => Chunk(sorted, batchSize));
    }

    /// <summary>
    /// Like <see cref="ShuffledBatches"/>, but each pool is cut by a token budget as in <see cref="BatchesByTokenBudget"/>:
    /// every batch holds as many items of similar length as fit in <paramref name="maxTokensPerBatch"/> padded tokens,
    /// at most <paramref name="maxBatchSize"/>. Short items make fewer, fuller batches. Deterministic for a given seed.
    /// </summary>
    /// <param name="lengths">Token count of each item.</param>
    /// <param name="maxTokensPerBatch">Padded tokens per batch (items × longest length), at least 1.</param>
    /// <param name="maxBatchSize">Items per batch at most, at least 1; pools hold <paramref name="poolBatches"/> times this many items.</param>
    /// <param name="seed">Random seed; use a different one per epoch.</param>
    /// <param name="poolBatches">Full batches per sorting pool, at least 1. Default 50.</param>
    public static IEnumerable<int[]> ShuffledBatchesByTokenBudget(IReadOnlyList<int> lengths, int maxTokensPerBatch, int maxBatchSize, int seed, int poolBatches = 50)
    {
        ArgumentNullException.ThrowIfNull(lengths);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTokensPerBatch, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(poolBatches, 1);
        return Shuffled(lengths, maxBatchSize, seed, poolBatches, sorted => ByBudget(sorted, lengths, maxTokensPerBatch, maxBatchSize));
    }

    /// <summary>Padding overhead of a batching: padded tokens ÷ real tokens − 1 (0 means no padding).</summary>
    /// <param name="lengths">Token count of each item.</param>
    /// <param name="batches">Index groups, e.g. from <see cref="Batches"/>.</param>
    public static double PaddingOverhead(IReadOnlyList<int> lengths, IEnumerable<int[]> batches)
    {
        ArgumentNullException.ThrowIfNull(lengths);
        ArgumentNullException.ThrowIfNull(batches);
        long real = 0, padded = 0;
        foreach (int[] batch in batches)
        {
            int longest = 0;
            foreach (int index in batch)
            {
                real += lengths[index];
                longest = Math.Max(longest, lengths[index]);
            }
            padded += (long)longest * batch.Length;
        }
        return real == 0 ? 0 : (double)padded / real - 1;
    }

    /// <summary>Shuffles, sorts pools of <paramref name="poolBatches"/> × <paramref name="batchSize"/> items longest first, cuts each, shuffles the batches.</summary>
    private static int[][] Shuffled(IReadOnlyList<int> lengths, int batchSize, int seed, int poolBatches, Func<int[], IEnumerable<int[]>> cut)
    {
        var random = new Random(seed);
        int[] order = Enumerable.Range(0, lengths.Count).ToArray();
        random.Shuffle(order);
        int pool = (int)Math.Min((long)batchSize * poolBatches, int.MaxValue);
        var batches = new List<int[]>((lengths.Count + batchSize - 1) / batchSize);
        for (int start = 0; start < order.Length; start += pool)
            batches.AddRange(cut(SortedLongestFirst(lengths, order[start..Math.Min(order.Length, start + pool)])));
        int[][] shuffled = [.. batches];
        random.Shuffle(shuffled);
        return shuffled;
    }

    private static int[] SortedLongestFirst(IReadOnlyList<int> lengths, int[] indices) =>
        [.. indices.OrderByDescending(i => lengths[i])]; // OrderBy is a stable sort

    private static IEnumerable<int[]> Chunk(int[] sorted, int batchSize)
    {
        for (int start = 0; start < sorted.Length; start += batchSize)
            yield return sorted[start..Math.Min(sorted.Length, start + batchSize)];
    }

    private static IEnumerable<int[]> ByBudget(int[] sorted, IReadOnlyList<int> lengths, int maxTokens, int maxBatchSize)
    {
        int start = 0;
        while (start < sorted.Length)
        {
            int longest = Math.Max(1, lengths[sorted[start]]); // sorted longest first: the first item sets the width
            int count = (int)Math.Clamp(maxTokens / longest, 1, Math.Min(maxBatchSize, sorted.Length - start));
            yield return sorted[start..(start + count)];
            start += count;
        }
    }
}
