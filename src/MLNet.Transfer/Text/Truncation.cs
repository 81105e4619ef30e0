namespace MLNet.Transfer.Text;

/// <summary>How many word pieces to keep where, when a sequence does not fit its budget. Pure arithmetic.</summary>
internal static class Truncation
{
    /// <summary>
    /// For one sequence of <paramref name="length"/> pieces and a budget, how many to keep from the start and
    /// how many from the end (their sum is min(length, budget); the two ranges never overlap).
    /// </summary>
    public static (int Head, int Tail) Single(int length, int budget, TruncationStrategy strategy, double headFraction)
    {
        if (length <= budget)
            return (length, 0);
        return strategy switch
        {
            TruncationStrategy.Head => (budget, 0),
            TruncationStrategy.Tail => (0, budget),
            TruncationStrategy.HeadAndTail => (HeadCount(budget, headFraction), budget - HeadCount(budget, headFraction)),
            _ => throw new ArgumentOutOfRangeException(nameof(strategy), strategy, "Unknown truncation strategy."),
        };
    }

    /// <summary>Head share of the budget: round(budget × fraction), halves rounded up (510 × 0.25 → 128).</summary>
    public static int HeadCount(int budget, double headFraction) =>
        Math.Clamp((int)Math.Round(budget * headFraction, MidpointRounding.AwayFromZero), 0, budget);

    /// <summary>
    /// Hugging Face's "longest_first" for a pair: remove one piece at a time from the end of the longer sequence
    /// (from the second on a tie) until both fit. Closed form of that loop.
    /// </summary>
    public static (int First, int Second) LongestFirst(int first, int second, int budget)
    {
        if (first + second <= budget)
            return (first, second);
        int shorter = Math.Min(first, second);
        if (2 * shorter <= budget)
            return first <= second ? (first, budget - first) : (budget - second, second);
        // Both were cut down to equal length, then ties took from the second: the first keeps the odd piece.
        return (budget - budget / 2, budget / 2);
    }
}
