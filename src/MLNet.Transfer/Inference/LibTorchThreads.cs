using System.Diagnostics;
using System.Globalization;

namespace MLNet.Transfer.Inference;

/// <summary>
/// LibTorch's intra-op thread count, for the ONNX Runtime sessions, without loading LibTorch when nothing has: once the
/// process has loaded it (a model on LibTorch, training, or the application's own <c>torch.set_num_threads</c>) its
/// <c>torch.get_num_threads()</c>; before that, what LibTorch would start with — <c>OMP_NUM_THREADS</c> when set, else 0,
/// which ONNX Runtime reads as "the physical cores", LibTorch's own default.
/// </summary>
internal static class LibTorchThreads
{
    /// <summary>The intra-op thread count for an ONNX Runtime session (0 = ONNX Runtime's default, the physical cores).</summary>
    public static int IntraOp()
    {
        if (IsLoaded()) return Math.Max(1, TorchSharp.torch.get_num_threads());
        return int.TryParse(Environment.GetEnvironmentVariable("OMP_NUM_THREADS"), NumberStyles.None, CultureInfo.InvariantCulture, out int threads) && threads > 0
            ? threads
            : 0;
    }

    /// <summary>Whether the process has loaded TorchSharp's native bridge (and with it LibTorch).</summary>
    public static bool IsLoaded()
    {
        const string Bridge = "LibTorchSharp";
        if (File.Exists("/proc/self/maps")) return File.ReadAllText("/proc/self/maps").Contains(Bridge, StringComparison.Ordinal);
        using var process = Process.GetCurrentProcess();
        return process.Modules.Cast<ProcessModule>().Any(m => m.ModuleName.Contains(Bridge, StringComparison.OrdinalIgnoreCase));
    }
}
