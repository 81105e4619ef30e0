using MLNet.Transfer.Benchmarks.Quick;
using MLNet.Transfer.Benchmarks.Support;

namespace MLNet.Transfer.Benchmarks.Comparisons;

/// <summary>
/// {inner}-under-load: an inner comparison re-run while a second process keeps one of the cores busy
/// (<see cref="CpuBurner"/>), ours and ORT under the same load. Always reports the median round: under load the best
/// round is the one the burner happened to leave alone. Wraps e.g. embed-batch{1,32}-medium on the default engine, and
/// fp32 LibTorch to show the collapse the default avoids.
/// </summary>
internal sealed class UnderLoadComparison(IComparison inner) : IComparison
{
    public string Name => inner.Name + "-under-load";

    public IEnumerable<ComparisonResult> Run(BenchContext context)
    {
        var measure = context.Measure;
        List<ComparisonResult> rows;
        using (new CpuBurner())
        {
            context.Measure = measure with { UseMedian = true };
            Thread.Sleep(500); // let the burner reach its loop
            try { rows = inner.Run(context).ToList(); }
            finally { context.Measure = measure; }
        }
        foreach (var row in rows) yield return row with { Name = row.Name + "-under-load" };
    }
}
