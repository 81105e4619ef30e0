using System.Collections.Concurrent;

namespace MLNet.Transfer.Tests.Reliability;

/// <summary>
/// Runs work on raw threads, as a server would, and turns their exceptions into a test failure. An exception that
/// escapes a raw thread kills the whole test host, so without this a bug shows up as "test host crashed" with no
/// result for the rest of the suite.
/// </summary>
internal static class WorkerThreads
{
    /// <summary>Runs <paramref name="work"/>(0 … <paramref name="count"/> − 1) on that many threads and waits for all.</summary>
    public static void Run(int count, Action<int> work)
    {
        var errors = new ConcurrentQueue<(int Worker, Exception Error)>();
        var threads = Enumerable.Range(0, count).Select(w => new Thread(() =>
        {
            try { work(w); }
            catch (Exception e) { errors.Enqueue((w, e)); }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        Assert.That(errors, Is.Empty, () => $"{errors.Count} worker(s) failed; first, worker {errors.First().Worker}: {errors.First().Error}");
    }
}
