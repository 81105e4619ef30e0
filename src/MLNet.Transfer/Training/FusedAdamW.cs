using System.Numerics;
using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace MLNet.Transfer.Training;

/// <summary>
/// AdamW's whole update of one fp32 parameter on the CPU in a single pass over its memory (parameter, gradient and both
/// moments read once, written once), SIMD and split over LibTorch's thread count. The same operations in the same order as
/// the tensor-op update of <see cref="ScalarSafeAdamW"/> (decay; m·β₁ + (1−β₁)·g; v·β₂ + ((1−β₂)·g)·g;
/// p + (−step)·(m ÷ (√v ÷ √(1−β₂ᵗ) + ε))), but where those nine LibTorch calls make ~22 passes over memory this makes 7:
/// the optimizer step is memory-bound (MiniLM: 23 M parameters, half of them the word embeddings), so this is its cost.
/// TorchSharp exposes neither foreach nor fused optimizer kernels.
/// </summary>
internal static class FusedAdamW
{
    private const int MinimumPerThread = 1 << 16;

    /// <summary>Whether <see cref="Update"/> applies: fp32 tensors on the CPU, contiguous, of one size.</summary>
    public static bool Applies(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq) =>
        param.device_type == TorchSharp.DeviceType.CPU && grad.device_type == TorchSharp.DeviceType.CPU
        && param.dtype == ScalarType.Float32 && grad.dtype == ScalarType.Float32 && expAvg.dtype == ScalarType.Float32 && expAvgSq.dtype == ScalarType.Float32
        && param.is_contiguous() && grad.is_contiguous() && expAvg.is_contiguous() && expAvgSq.is_contiguous()
        && param.numel() == grad.numel() && param.numel() == expAvg.numel() && param.numel() == expAvgSq.numel();

    /// <summary>One AdamW step of <paramref name="param"/> in place (moments too).</summary>
    /// <param name="param">The parameter.</param>
    /// <param name="grad">Its gradient.</param>
    /// <param name="expAvg">First moment.</param>
    /// <param name="expAvgSq">Second moment.</param>
    /// <param name="c">The step's constants.</param>
    public static void Update(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, Constants c)
    {
        int length = checked((int)param.numel());
        int threads = Math.Clamp(Math.Min(get_num_threads(), length / MinimumPerThread), 1, Environment.ProcessorCount);
        if (threads == 1)
        {
            Run(param, grad, expAvg, expAvgSq, c, 0, length);
            return;
        }
        int chunk = (length / threads + Vector<float>.Count - 1) / Vector<float>.Count * Vector<float>.Count;
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            int start = t * chunk;
            if (start < length) Run(param, grad, expAvg, expAvgSq, c, start, Math.Min(length, start + chunk) - start);
        });
    }

    private static Span<float> Floats(Tensor t, int start, int count) => MemoryMarshal.Cast<byte, float>(t.bytes).Slice(start, count);

    private static void Run(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, Constants c, int start, int count)
    {
        Span<float> p = Floats(param, start, count), m = Floats(expAvg, start, count), v = Floats(expAvgSq, start, count);
        ReadOnlySpan<float> g = Floats(grad, start, count);
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var keep = new Vector<float>(c.Keep);
            var beta1 = new Vector<float>(c.Beta1);
            var oneMinusBeta1 = new Vector<float>(c.OneMinusBeta1);
            var beta2 = new Vector<float>(c.Beta2);
            var oneMinusBeta2 = new Vector<float>(c.OneMinusBeta2);
            var correction2 = new Vector<float>(c.Correction2);
            var eps = new Vector<float>(c.Eps);
            var stepSize = new Vector<float>(c.StepSize);
            var pv = MemoryMarshal.Cast<float, Vector<float>>(p);
            var mv = MemoryMarshal.Cast<float, Vector<float>>(m);
            var vv = MemoryMarshal.Cast<float, Vector<float>>(v);
            var gv = MemoryMarshal.Cast<float, Vector<float>>(g);
            for (int k = 0; k < pv.Length; k++)
            {
                var gk = gv[k];
                var mk = mv[k] * beta1 + gk * oneMinusBeta1;
                var vk = vv[k] * beta2 + oneMinusBeta2 * gk * gk;
                mv[k] = mk;
                vv[k] = vk;
                pv[k] = pv[k] * keep + stepSize * (mk / (Vector.SquareRoot(vk) / correction2 + eps));
            }
            i = pv.Length * Vector<float>.Count;
        }
        for (; i < p.Length; i++)
        {
            float gi = g[i];
            float mi = m[i] * c.Beta1 + gi * c.OneMinusBeta1;
            float vi = v[i] * c.Beta2 + c.OneMinusBeta2 * gi * gi;
            m[i] = mi;
            v[i] = vi;
            p[i] = p[i] * c.Keep + c.StepSize * (mi / (MathF.Sqrt(vi) / c.Correction2 + c.Eps));
        }
    }

    /// <summary>The scalars of one parameter's step, as fp32 (as LibTorch's kernels use them).</summary>
    /// <param name="Keep">1 − lr·weight decay.</param>
    /// <param name="Beta1">β₁.</param>
    /// <param name="OneMinusBeta1">1 − β₁.</param>
    /// <param name="Beta2">β₂.</param>
    /// <param name="OneMinusBeta2">1 − β₂.</param>
    /// <param name="Correction2">√(1 − β₂ᵗ).</param>
    /// <param name="Eps">ε.</param>
    /// <param name="StepSize">−lr ÷ (1 − β₁ᵗ).</param>
    public readonly record struct Constants(float Keep, float Beta1, float OneMinusBeta1, float Beta2, float OneMinusBeta2, float Correction2, float Eps, float StepSize);
}
