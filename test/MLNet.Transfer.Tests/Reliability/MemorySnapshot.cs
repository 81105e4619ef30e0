using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.Transfer.Tests.Reliability;

/// <summary>Managed heap after a full collection, native resident set size, and live TorchSharp tensors at one moment.</summary>
/// <param name="ManagedBytes">GC.GetTotalMemory after collecting and running finalizers.</param>
/// <param name="ResidentBytes">VmRSS from /proc/self/status (0 where there is no /proc).</param>
/// <param name="LiveTensors">torch.Tensor.TotalCount (all threads), read before collecting so finalizers cannot hide a leak.</param>
/// <param name="ThreadLiveTensors">This thread's DisposeScopeManager.Statistics.ThreadTotalLiveCount.</param>
internal sealed record MemorySnapshot(long ManagedBytes, long ResidentBytes, long LiveTensors, long ThreadLiveTensors)
{
    public static MemorySnapshot Take()
    {
        long tensors = Tensor.TotalCount;
        long threadTensors = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return new MemorySnapshot(GC.GetTotalMemory(forceFullCollection: true), ResidentSetSize(), tensors, threadTensors);
    }

    private static long ResidentSetSize()
    {
        const string path = "/proc/self/status";
        if (!File.Exists(path)) return 0;
        string? line = File.ReadLines(path).FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024; // "VmRSS:  123456 kB"
    }

    public override string ToString() =>
        $"managed {ManagedBytes / 1048576.0:F1} MB, RSS {ResidentBytes / 1048576.0:F0} MB, live tensors {LiveTensors} (this thread {ThreadLiveTensors})";
}
