namespace MLNet.Transfer.Training;

/// <summary>
/// What the training data looks like, as far as choosing training defaults goes: how many examples, how long they are
/// in word pieces (including [CLS]/[SEP]) and, for classification, how many examples each class has.
/// </summary>
/// <param name="Examples">Number of training examples.</param>
/// <param name="MedianTokens">Median length in word pieces.</param>
/// <param name="P95Tokens">95th percentile of the length.</param>
/// <param name="P99Tokens">99th percentile of the length.</param>
/// <param name="LongestTokens">Longest example.</param>
/// <param name="ClassCounts">Examples per class (binary: [negatives, positives]); null for regression or unlabelled data.</param>
public sealed record DataProfile(int Examples, int MedianTokens, int P95Tokens, int P99Tokens, int LongestTokens, IReadOnlyList<int>? ClassCounts)
{
    /// <summary>Profiles token lengths and, optionally, class counts.</summary>
    public static DataProfile From(IReadOnlyList<int> tokenLengths, IReadOnlyList<int>? classCounts = null)
    {
        ArgumentNullException.ThrowIfNull(tokenLengths);
        if (tokenLengths.Count == 0) throw new ArgumentException("Cannot profile an empty data set.", nameof(tokenLengths));
        var sorted = tokenLengths.Order().ToArray();
        int At(double q) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];
        return new DataProfile(sorted.Length, At(0.5), At(0.95), At(0.99), sorted[^1], classCounts?.ToArray());
    }

    /// <summary>Largest class count over smallest non-empty class count (1 when balanced; null without classes).</summary>
    public double? ImbalanceRatio => ClassCounts is null ? null : Imbalance(ClassCounts);

    /// <summary>Largest over smallest non-empty count of <paramref name="classCounts"/> (null for fewer than two classes).</summary>
    public static double? Imbalance(IReadOnlyList<int> classCounts) => classCounts.Count(n => n > 0) >= 2
        ? (double)classCounts.Max() / classCounts.Where(n => n > 0).Min()
        : null;

    /// <summary>Index of the smallest class (null without classes).</summary>
    public int? MinorityClass => ClassCounts is { Count: >= 2 } c ? c.Select((n, i) => (n, i)).Where(p => p.n > 0).MinBy(p => p.n).i : null;

    /// <summary>One line for logs, e.g. "1,000 examples; tokens median 231, p95 690, max 2,412; classes 500/500".</summary>
    public override string ToString() =>
        $"{Examples:N0} examples; word pieces median {MedianTokens:N0}, p95 {P95Tokens:N0}, p99 {P99Tokens:N0}, max {LongestTokens:N0}" +
        (ClassCounts is null ? "" : $"; classes {string.Join("/", ClassCounts.Select(c => c.ToString("N0")))}");
}
