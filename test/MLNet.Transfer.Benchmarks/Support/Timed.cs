using System.Diagnostics;

namespace MLNet.Transfer.Benchmarks.Support;

/// <summary>Runs a function once and returns its result with the wall time.</summary>
internal static class Timed
{
    public static (T Result, double Seconds) Run<T>(Func<T> work)
    {
        var clock = Stopwatch.StartNew();
        var result = work();
        return (result, clock.Elapsed.TotalSeconds);
    }
}
