using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace MLNet.Transfer.Models;

/// <summary>
/// LibTorch's default CPU random generator (<c>at::mt19937</c>, Cokus's MT19937) read from, and written back to, its
/// serialized state, so that C# can draw the numbers LibTorch would have drawn next — in SIMD, where LibTorch's
/// element-by-element kernels for some distributions are serial. Offsets follow <c>CPUGeneratorImplState</c>: initial
/// seed (u64), left (i32), seeded (i32), next (u64), then the 624 state words stored as u64.
/// </summary>
internal sealed class LibTorchMersenneTwister
{
    private const int N = 624, M = 397, LeftOffset = 8, NextOffset = 16, StateOffset = 24;
    private const uint MatrixA = 0x9908b0df, UpperMask = 0x80000000, LowerMask = 0x7fffffff;
    private readonly uint[] _state = new uint[N];
    private readonly byte[] _serialized;
    private int _left, _next;

    private LibTorchMersenneTwister(byte[] serialized)
    {
        _serialized = serialized;
        _left = BinaryPrimitives.ReadInt32LittleEndian(serialized.AsSpan(LeftOffset));
        _next = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(serialized.AsSpan(NextOffset)));
        if (_left is < 1 or > N || _next is < 0 or > N)
            throw new InvalidOperationException($"Unexpected LibTorch generator state (left {_left}, next {_next}).");
        for (int i = 0; i < N; i++)
            _state[i] = (uint)BinaryPrimitives.ReadUInt64LittleEndian(serialized.AsSpan(StateOffset + 8 * i));
    }

    /// <summary>The default CPU generator's current state.</summary>
    public static LibTorchMersenneTwister ReadDefault()
    {
        using var state = TorchSharp.torch.Generator.Default.get_state();
        return new LibTorchMersenneTwister(state.bytes.ToArray());
    }

    /// <summary>Makes the default CPU generator continue after the numbers drawn here.</summary>
    public void WriteDefault()
    {
        BinaryPrimitives.WriteInt32LittleEndian(_serialized.AsSpan(LeftOffset), _left);
        BinaryPrimitives.WriteUInt64LittleEndian(_serialized.AsSpan(NextOffset), (ulong)_next);
        for (int i = 0; i < N; i++)
            BinaryPrimitives.WriteUInt64LittleEndian(_serialized.AsSpan(StateOffset + 8 * i), _state[i]);
        using var state = tensor(_serialized, dtype: ScalarType.Byte);
        TorchSharp.torch.Generator.Default.set_state(state);
    }

    /// <summary>Fills <paramref name="output"/> with the next 32-bit outputs, as successive calls of the engine would return them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Next(Span<uint> output)
    {
        while (output.Length > 0)
        {
            if (_left == 1)
            {
                Twist();
                _left = N + 1;
                _next = 0;
            }
            int take = Math.Min(output.Length, _left - 1);
            Temper(_state.AsSpan(_next, take), output[..take]);
            _next += take;
            _left -= take;
            output = output[take..];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Temper(ReadOnlySpan<uint> words, Span<uint> output)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var b = new Vector<uint>(0x9d2c5680);
            var c = new Vector<uint>(0xefc60000);
            var source = MemoryMarshal.Cast<uint, Vector<uint>>(words);
            var target = MemoryMarshal.Cast<uint, Vector<uint>>(output);
            for (int v = 0; v < source.Length; v++)
            {
                var y = source[v];
                y ^= Vector.ShiftRightLogical(y, 11);
                y ^= Vector.ShiftLeft(y, 7) & b;
                y ^= Vector.ShiftLeft(y, 15) & c;
                target[v] = y ^ Vector.ShiftRightLogical(y, 18);
            }
            i = source.Length * Vector<uint>.Count;
        }
        for (; i < words.Length; i++) output[i] = Temper(words[i]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Temper(uint y)
    {
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c5680;
        y ^= (y << 15) & 0xefc60000;
        return y ^ (y >> 18);
    }

    /// <summary>Regenerates the 624 words (at::mt19937::next_state), vectorised where the recurrence allows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Twist()
    {
        var s = _state;
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            int width = Vector<uint>.Count;
            // s[i] = s[i + M] ^ twist(s[i], s[i + 1]) reads only words not yet rewritten for i < N - M, and for
            // N - M ≤ i < N - 1 reads s[i + M - N], rewritten at least N - M (227) words earlier: vectors of up to 227 lanes are safe.
            for (; i + width <= N - M; i += width)
                Store(s, i, Load(s, i + M) ^ TwistVector(Load(s, i), Load(s, i + 1)));
            for (; i < N - M; i++) s[i] = s[i + M] ^ TwistWord(s[i], s[i + 1]);
            for (; i + width <= N - 1; i += width)
                Store(s, i, Load(s, i + M - N) ^ TwistVector(Load(s, i), Load(s, i + 1)));
        }
        for (; i < N - M; i++) s[i] = s[i + M] ^ TwistWord(s[i], s[i + 1]);
        for (; i < N - 1; i++) s[i] = s[i + M - N] ^ TwistWord(s[i], s[i + 1]);
        s[N - 1] = s[M - 1] ^ TwistWord(s[N - 1], s[0]);
    }

    private static Vector<uint> Load(uint[] s, int i) => new(s.AsSpan(i));

    private static void Store(uint[] s, int i, Vector<uint> value) => value.CopyTo(s.AsSpan(i));

    private static Vector<uint> TwistVector(Vector<uint> u, Vector<uint> v)
    {
        var mixed = (u & new Vector<uint>(UpperMask)) | (v & new Vector<uint>(LowerMask));
        var odd = Vector.Equals(v & Vector<uint>.One, Vector<uint>.One);
        return Vector.ShiftRightLogical(mixed, 1) ^ (odd & new Vector<uint>(MatrixA));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint TwistWord(uint u, uint v) => ((u & UpperMask) | (v & LowerMask)) >> 1 ^ ((v & 1) != 0 ? MatrixA : 0);
}
