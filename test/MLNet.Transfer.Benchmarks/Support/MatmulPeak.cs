using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.Transfer.Benchmarks.Support;

/// <summary>Measures the machine's fp32 matrix-multiply throughput, the ceiling for dense transformer work.</summary>
internal static class MatmulPeak
{
    /// <summary>Runs square fp32 matmuls of size <paramref name="n"/> on the CPU with the given thread count.</summary>
    /// <returns>The best GFLOP/s over <paramref name="repeats"/> timed runs (2·n³ FLOPs each).</returns>
    public static double MeasureGflops(int threads, int n = 1024, int repeats = 20)
    {
        if (threads < 1) throw new ArgumentOutOfRangeException(nameof(threads), threads, "Must be at least 1.");
        int previous = torch.get_num_threads();
        torch.set_num_threads(threads);
        try
        {
            using var scope = torch.NewDisposeScope();
            using var _ = torch.no_grad();
            var a = torch.randn(n, n);
            var b = torch.randn(n, n);
            for (int i = 0; i < 3; i++) torch.matmul(a, b).Dispose(); // warm-up
            double best = 0;
            for (int i = 0; i < repeats; i++)
            {
                var sw = Stopwatch.StartNew();
                torch.matmul(a, b).Dispose();
                sw.Stop();
                best = Math.Max(best, 2.0 * n * n * n / sw.Elapsed.TotalSeconds / 1e9);
            }
            return best;
        }
        finally
        {
            torch.set_num_threads(previous);
        }
    }
}
