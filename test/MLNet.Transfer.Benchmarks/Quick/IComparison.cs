namespace MLNet.Transfer.Benchmarks.Quick;

/// <summary>
/// One quick-mode comparison: runs our code and a reference on the same inputs with the same thread count
/// and yields one or more result rows. Add a comparison by writing a class and listing it in <see cref="Comparisons"/>.
/// </summary>
internal interface IComparison
{
    /// <summary>Identifier used by --filter (usually the name of its first row).</summary>
    string Name { get; }

    /// <summary>Takes minutes: runs only with --long or when --filter names it.</summary>
    bool IsLong => false;

    /// <summary>Measures and returns the rows (Name | Ours | Reference | Unit).</summary>
    IEnumerable<ComparisonResult> Run(BenchContext context);
}

/// <summary>
/// One row of the quick table. <see cref="Ratio"/> &gt; 1 means ours is better: ours / reference for rates,
/// reference / ours for rows where lower is better (latency, memory).
/// </summary>
internal sealed record ComparisonResult(string Name, double Ours, double Reference, string Unit, bool LowerIsBetter = false)
{
    public double Ratio => LowerIsBetter
        ? (Ours == 0 ? double.NaN : Reference / Ours)
        : (Reference == 0 ? double.NaN : Ours / Reference);
}
