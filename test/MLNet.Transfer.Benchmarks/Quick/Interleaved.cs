using System.Diagnostics;

namespace MLNet.Transfer.Benchmarks.Quick;

/// <summary>How long and how often each side of a comparison runs.</summary>
/// <param name="SecondsPerSide">Timed budget for each side (excluding warm-up).</param>
/// <param name="Rounds">Most alternating rounds (ours, reference, reference, ours, …) the budget is split into; calls
/// longer than the budget get fewer rounds, down to one timed call per side.</param>
/// <param name="UseMedian">Report the median round instead of the best round.</param>
internal sealed record MeasureSettings(double SecondsPerSide = 1.25, int Rounds = 5, bool UseMedian = false)
{
    public string Statistic => UseMedian ? "median" : "best";
}

/// <summary>Throughput of one side: best and median over rounds, in work units per second.</summary>
internal sealed record Throughput(double Best, double Median, int Rounds, long Calls)
{
    public double Pick(MeasureSettings settings) => settings.UseMedian ? Median : Best;
}

/// <summary>
/// Measures two workloads in alternating rounds so that load from other processes on the machine hits both
/// alike. Each workload does one call's work and returns how many units (sentences, tokens…) it processed.
/// </summary>
internal static class Interleaved
{
    /// <param name="ours">Our workload: one call, returning the units of work done.</param>
    /// <param name="reference">The reference workload.</param>
    /// <param name="settings">Budget and rounds.</param>
    /// <param name="warmCallSeconds">When the caller already ran each side once (e.g. a parity check) and a call took
    /// longer than 0.3 s, pass the slower call's seconds to skip the warm-up.</param>
    public static (Throughput Ours, Throughput Reference) Measure(Func<double> ours, Func<double> reference, MeasureSettings settings,
                                                                  double warmCallSeconds = 0)
    {
        double slowest = warmCallSeconds > 0.3 ? warmCallSeconds : Math.Max(WarmUp(ours), WarmUp(reference));
        // Long calls: fewer rounds (down to a single timed call per side) so a cell stays within a few seconds.
        int rounds = Math.Clamp((int)(settings.SecondsPerSide / Math.Max(slowest, 1e-6)), 1, settings.Rounds);
        double perRound = settings.SecondsPerSide / rounds;
        var oursRates = new List<double>();
        var referenceRates = new List<double>();
        long oursCalls = 0, referenceCalls = 0;
        for (int r = 0; r < rounds; r++)
        {
            bool oursFirst = r % 2 == 0;
            (Func<double> Work, List<double> Rates)[] order = oursFirst
                ? [(ours, oursRates), (reference, referenceRates)]
                : [(reference, referenceRates), (ours, oursRates)];
            foreach (var (work, rates) in order)
            {
                var (rate, calls) = Round(work, perRound);
                rates.Add(rate);
                if (ReferenceEquals(rates, oursRates)) oursCalls += calls; else referenceCalls += calls;
            }
        }
        return (Summarize(oursRates, oursCalls), Summarize(referenceRates, referenceCalls));
    }

    /// <summary>Runs once (first-call costs), then keeps running for up to ~0.3 s so the JIT reaches its final tier.</summary>
    private static double WarmUp(Func<double> work)
    {
        var clock = Stopwatch.StartNew();
        work();
        double first = clock.Elapsed.TotalSeconds;
        var again = Stopwatch.StartNew();
        int calls = 0;
        while (again.Elapsed.TotalSeconds < 0.3 && first < 0.3)
        {
            work();
            calls++;
        }
        return calls == 0 ? first : again.Elapsed.TotalSeconds / calls;
    }

    private static (double Rate, long Calls) Round(Func<double> work, double seconds)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        double units = 0;
        long calls = 0;
        var clock = Stopwatch.StartNew();
        do
        {
            units += work();
            calls++;
        }
        while (clock.Elapsed.TotalSeconds < seconds);
        return (units / clock.Elapsed.TotalSeconds, calls);
    }

    private static Throughput Summarize(List<double> rates, long calls)
    {
        var sorted = rates.Order().ToArray();
        double median = sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
        return new Throughput(sorted[^1], median, sorted.Length, calls);
    }
}
