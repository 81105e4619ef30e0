using TorchSharp;
using System.Diagnostics;
using static TorchSharp.torch;

namespace MLNet.Transfer.Benchmarks.Profiling;

/// <summary>
/// Times one LibTorch op in isolation: the median milliseconds over repeated calls after a warm-up. Each call gets
/// fresh inputs from a preparation step that is not timed (e.g. a new autograd graph for a backward), and every
/// tensor a call creates is freed after its timing.
/// </summary>
internal static class OpClock
{
    private const int Warmup = 2, MinCalls = 5, MaxCalls = 200;

    /// <summary>Seconds spent timing one op (at least <see cref="MinCalls"/> calls).</summary>
    public static double Budget { get; set; } = 0.3;

    /// <summary>Median ms of <paramref name="run"/>.</summary>
    public static double MedianMs(Action run) => MedianMs(() => run);

    /// <summary>Median ms of the action <paramref name="prepare"/> returns; <paramref name="prepare"/> itself is not timed.</summary>
    public static double MedianMs(Func<Action> prepare)
    {
        var samples = new List<double>();
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < Warmup + MinCalls || (clock.Elapsed.TotalSeconds < Budget && samples.Count < MaxCalls); i++)
        {
            using var scope = NewDisposeScope();
            var run = prepare();
            long start = Stopwatch.GetTimestamp();
            run();
            double ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            if (i >= Warmup) samples.Add(ms);
        }
        samples.Sort();
        return samples[samples.Count / 2];
    }

    /// <summary>
    /// The backward of <paramref name="forward"/> alone: each call builds the graph on fresh leaf copies of
    /// <paramref name="inputs"/> (untimed), then times <c>autograd.grad</c> with <paramref name="gradOutput"/>
    /// (no accumulation into <c>.grad</c>).
    /// </summary>
    public static double BackwardMs(Tensor[] inputs, Func<Tensor[], Tensor> forward, Tensor gradOutput) =>
        BackwardMs(inputs, leaves => [forward(leaves)], [gradOutput]);

    /// <summary>As above for an op with several outputs, one gradient each.</summary>
    public static double BackwardMs(Tensor[] inputs, Func<Tensor[], Tensor[]> forward, Tensor[] gradOutputs) => MedianMs(() =>
    {
        var leaves = inputs.Select(x => x.detach().requires_grad_(true)).ToArray();
        var outputs = forward(leaves);
        return () => torch.autograd.grad(outputs, leaves, gradOutputs);
    });
}
