using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.Transfer.Models;

/// <summary>
/// Dropout with exactly LibTorch's result and random-number consumption, faster on the CPU. LibTorch's CPU dropout
/// draws its mask with <c>bernoulli_(1 - p)</c>, a serial loop of two MT19937 outputs and a double comparison per
/// element (about 10 ns each, on one thread whatever the thread count; an fp32 fine-tuning step of all-MiniLM-L6-v2 at
/// 32 × 64 tokens masks 19.7 M elements: see docs/performance.md). Here the same numbers come from <see cref="LibTorchMersenneTwister"/> in SIMD, the
/// generator is left where LibTorch's would be, and the rest is LibTorch's own arithmetic (mask ÷ (1 − p), input ×
/// mask), so outputs, gradients and every later random number are bit-identical to <c>nn.functional.dropout</c>.
/// Other devices, dtypes and layouts use LibTorch's dropout. The generator state is read and written back around each
/// mask under a lock of our own: a thread drawing from LibTorch's default generator meanwhile can see the same numbers.
/// </summary>
internal static class CpuDropout
{
    private const int ChunkElements = 4096;
    private const ulong LowBits53 = (1UL << 53) - 1;
    private static readonly Lock Generator = new();

    /// <summary>Tests only: run LibTorch's own dropout everywhere, to compare models against it.</summary>
    internal static bool UseLibTorch { get; set; }

    /// <summary>
    /// <paramref name="x"/> with each element zeroed with probability <paramref name="p"/> and the rest scaled by 1 / (1 − p)
    /// when <paramref name="training"/>; <paramref name="x"/> itself otherwise.
    /// </summary>
    public static Tensor Apply(Tensor x, double p, bool training)
    {
        if (!training || p == 0) return x;
        if (UseLibTorch || p is < 0 or >= 1 || x.device_type != TorchSharp.DeviceType.CPU || x.dtype != ScalarType.Float32 || !x.is_contiguous()
            || x.numel() is 0 or > int.MaxValue / sizeof(float))
            return nn.functional.dropout(x, p, training: true);
        using var scope = NewDisposeScope();
        var noise = empty_like(x);
        FillBernoulli(MemoryMarshal.Cast<byte, float>(noise.bytes), 1 - p);
        using (var keep = (1 - p).ToScalar()) noise.div_(keep); // a Scalar held through the call (Models/Scalars explains why)
        return x.mul(noise).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// What <c>bernoulli_(<paramref name="p"/>)</c> writes into a contiguous float tensor from LibTorch's default CPU
    /// generator: element k is 1 when the k-th double uniform — the low 53 bits of two 32-bit outputs (first high),
    /// times 2⁻⁵³ — is below <paramref name="p"/>. Advances the generator past the 2 · length outputs.
    /// </summary>
    internal static void FillBernoulli(Span<float> mask, double p)
    {
        ulong threshold = (ulong)Math.Ceiling(p * (1UL << 53)); // u·2⁻⁵³ < p ⇔ u < ⌈p·2⁵³⌉ for integers u < 2⁵³
        var words = new uint[2 * Math.Min(mask.Length, ChunkElements)];
        lock (Generator)
        {
            var twister = LibTorchMersenneTwister.ReadDefault();
            for (int start = 0; start < mask.Length; start += ChunkElements)
            {
                var chunk = mask.Slice(start, Math.Min(ChunkElements, mask.Length - start));
                var drawn = words.AsSpan(0, 2 * chunk.Length);
                twister.Next(drawn);
                Compare(MemoryMarshal.Cast<uint, ulong>(drawn), threshold, chunk);
            }
            twister.WriteDefault();
        }
    }

    /// <summary>Each pair (little-endian: first output low) → 1f when ((first &amp; 2²¹−1) ≪ 32 | second) &lt; threshold, else 0f.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Compare(ReadOnlySpan<ulong> pairs, ulong threshold, Span<float> mask)
    {
        int k = 0;
        if (Vector.IsHardwareAccelerated)
        {
            int width = Vector<uint>.Count;
            var limit = new Vector<ulong>(threshold);
            var high = new Vector<ulong>(LowBits53 >> 32);
            var one = new Vector<uint>(0x3F800000); // 1f
            var target = MemoryMarshal.Cast<float, uint>(mask);
            for (; k + width <= mask.Length; k += width)
            {
                var a = new Vector<ulong>(pairs.Slice(k));
                var b = new Vector<ulong>(pairs.Slice(k + width / 2));
                var below = Vector.Narrow(Below(a, high, limit), Below(b, high, limit));
                (below & one).CopyTo(target.Slice(k));
            }
        }
        for (; k < mask.Length; k++)
        {
            ulong pair = pairs[k];
            mask[k] = ((pair & (LowBits53 >> 32)) << 32 | pair >> 32) < threshold ? 1f : 0f;
        }
    }

    private static Vector<ulong> Below(Vector<ulong> pair, Vector<ulong> high, Vector<ulong> limit) =>
        Vector.LessThan(Vector.ShiftLeft(pair & high, 32) | Vector.ShiftRightLogical(pair, 32), limit);
}
