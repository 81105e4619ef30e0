using System.Runtime.Intrinsics.X86;

namespace MLNet.Transfer.Onnx;

/// <summary>A weight matrix [rows = inputs, columns = outputs] quantized to int8 with one scale per column: W ≈ Values · Scales[column].</summary>
/// <param name="Values">Row-major int8 values, rows × columns.</param>
/// <param name="Scales">One positive scale per column (output feature).</param>
/// <param name="Rows">Input features.</param>
/// <param name="Columns">Output features.</param>
internal sealed record QuantizedMatrix(sbyte[] Values, float[] Scales, int Rows, int Columns)
{
    /// <summary>The float matrix the int8 values stand for (row-major, rows × columns).</summary>
    public float[] Dequantize()
    {
        var result = new float[Values.Length];
        for (int r = 0; r < Rows; r++)
            for (int c = 0; c < Columns; c++)
                result[r * Columns + c] = Values[r * Columns + c] * Scales[c];
        return result;
    }
}

/// <summary>
/// Symmetric per-column (per output feature) int8 quantization of dense-layer weights, as ONNX Runtime's
/// DynamicQuantizeMatMul and QAttention expect (int8 weights, zero point 0, a scale per column); the activations are
/// quantized at run time by ONNX Runtime itself. Each column's largest magnitude maps to ±127 (±63 with
/// <see cref="ReducedRange"/>), so every weight is within half a quantization step (scale / 2) of its int8 value.
/// </summary>
internal static class Int8WeightQuantizer
{
    /// <summary>
    /// Whether int8 weights should use 7 bits (±63) on this CPU: on x64 without VNNI instructions ONNX Runtime's uint8 × int8
    /// kernels add pairs of products in 16 bits (vpmaddubsw), which saturates with full-range weights; 7-bit weights cannot
    /// overflow there. With AVX-512 VNNI or AVX-VNNI (and on Arm) the full range is exact.
    /// </summary>
    public static bool ReducedRange { get; } = X86Base.IsSupported && !HasVnni();

    /// <summary>Quantizes the row-major [<paramref name="rows"/>, <paramref name="columns"/>] matrix <paramref name="weights"/>.</summary>
    /// <param name="weights">Row-major float weights, inputs × outputs.</param>
    /// <param name="rows">Input features.</param>
    /// <param name="columns">Output features (one scale each).</param>
    /// <param name="reducedRange">Use ±63 instead of ±127 (see <see cref="ReducedRange"/>).</param>
    public static QuantizedMatrix Quantize(ReadOnlySpan<float> weights, int rows, int columns, bool reducedRange)
    {
        if (rows <= 0 || columns <= 0 || weights.Length != (long)rows * columns)
            throw new ArgumentException($"Expected {rows} × {columns} weights, got {weights.Length}.", nameof(weights));
        int limit = reducedRange ? 63 : 127;
        var maxAbs = new float[columns];
        for (int r = 0; r < rows; r++)
        {
            var row = weights.Slice(r * columns, columns);
            for (int c = 0; c < columns; c++)
            {
                if (!float.IsFinite(row[c])) throw new ArgumentException($"Weight [{r}, {c}] is {row[c]}; only finite weights can be quantized.", nameof(weights));
                maxAbs[c] = Math.Max(maxAbs[c], Math.Abs(row[c]));
            }
        }
        var scales = new float[columns];
        for (int c = 0; c < columns; c++) scales[c] = maxAbs[c] > 0 ? maxAbs[c] / limit : 1f;
        var values = new sbyte[weights.Length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++)
            {
                float q = MathF.Round(weights[r * columns + c] / scales[c], MidpointRounding.ToEven);
                values[r * columns + c] = (sbyte)Math.Clamp(q, -limit, limit);
            }
        return new QuantizedMatrix(values, scales, rows, columns);
    }

    /// <summary>AVX-512 VNNI (CPUID leaf 7: ECX bit 11, with AVX-512F) or AVX-VNNI (leaf 7 subleaf 1: EAX bit 4).</summary>
    private static bool HasVnni()
    {
        var (_, _, ecx, _) = X86Base.CpuId(7, 0);
        bool avx512Vnni = Avx512F.IsSupported && (ecx & (1 << 11)) != 0;
        var (eax, _, _, _) = X86Base.CpuId(7, 1);
        bool avxVnni = Avx2.IsSupported && (eax & (1 << 4)) != 0;
        return avx512Vnni || avxVnni;
    }
}
