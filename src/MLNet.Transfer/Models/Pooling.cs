using static TorchSharp.torch;

namespace MLNet.Transfer.Models;

/// <summary>Pools [batch, seq, hidden] token states into [batch, width] sentence vectors, ignoring padding.</summary>
public static class Pooling
{
    /// <summary>Output width for a hidden size.</summary>
    public static int Width(PoolingMode mode, int hiddenSize) => mode switch
    {
        PoolingMode.MeanMax => 2 * hiddenSize,
        PoolingMode.LastMaxMean => 3 * hiddenSize,
        _ => hiddenSize,
    };

    /// <summary>Pools <paramref name="states"/> using <paramref name="attentionMask"/> [batch, seq] (1 = token; null = none padded).</summary>
    public static Tensor Pool(Tensor states, Tensor? attentionMask, PoolingMode mode)
    {
        using var scope = NewDisposeScope();
        Tensor result = mode switch
        {
            PoolingMode.Cls => states.select(1, 0),
            PoolingMode.Mean => Mean(states, attentionMask),
            PoolingMode.Max => Max(states, attentionMask),
            PoolingMode.MeanMax => cat([Mean(states, attentionMask), Max(states, attentionMask)], 1),
            PoolingMode.Last => Last(states, attentionMask),
            PoolingMode.LastMaxMean => cat([Last(states, attentionMask), Max(states, attentionMask), Mean(states, attentionMask)], 1),
            _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown pooling mode."),
        };
        return result.MoveToOuterDisposeScope();
    }

    private static Tensor Mean(Tensor states, Tensor? mask)
    {
        if (mask is null) return states.mean([1]);
        var weights = mask.to(states.dtype).unsqueeze(-1);
        return (states * weights).sum(1) / weights.sum(1).AtLeast(1e-9);
    }

    private static Tensor Max(Tensor states, Tensor? mask)
    {
        if (mask is null) return states.amax([1]);
        var padding = mask.EqualTo(0).unsqueeze(-1);
        return states.FilledWhere(padding, finfo(states.dtype).min).amax([1]);
    }

    private static Tensor Last(Tensor states, Tensor? mask)
    {
        if (mask is null) return states.select(1, -1);
        var last = mask.to(ScalarType.Int64).sum(1).Minus(1).AtLeast(0L);
        return states.gather(1, last.view(-1, 1, 1).expand(states.shape[0], 1, states.shape[2])).squeeze(1);
    }

    /// <summary>Scales each row to unit L2 norm (rows of zeros stay zero).</summary>
    public static Tensor L2Normalize(Tensor vectors) => nn.functional.normalize(vectors, p: 2, dim: 1);
}
