using static TorchSharp.torch;

namespace MLNet.Transfer.Models.Recurrent;

/// <summary>The two dropouts of AWD-LSTM that are not plain element-wise dropout.</summary>
public static class RecurrentDropout
{
    /// <summary>
    /// Locked (variational) dropout: one mask per sequence and feature, the same at every time step, for
    /// <paramref name="x"/> [batch, seq, features]; scaled by 1/(1 − p). Identity when <paramref name="p"/> is 0.
    /// </summary>
    public static Tensor Locked(Tensor x, double p)
    {
        if (p <= 0) return x.alias();
        using var mask = empty(x.shape[0], 1, x.shape[2], dtype: x.dtype, device: x.device).bernoulli_(1 - p).TimesInPlace(1 / (1 - p));
        return x * mask;
    }

    /// <summary>
    /// Embedding dropout: scales the looked-up rows <paramref name="embedded"/> [batch, seq, width] of
    /// <paramref name="ids"/> by a per-word mask over the <paramref name="vocabSize"/> ids, so a dropped word is zero
    /// everywhere in the batch — the same as zeroing rows of the embedding matrix, without copying it.
    /// </summary>
    public static Tensor Embedding(Tensor embedded, Tensor ids, long vocabSize, double p)
    {
        if (p <= 0) return embedded.alias();
        using var scope = NewDisposeScope();
        var keep = empty(vocabSize, dtype: embedded.dtype, device: embedded.device).bernoulli_(1 - p).TimesInPlace(1 / (1 - p));
        return (embedded * keep.index_select(0, ids.reshape(-1)).view(ids.shape[0], ids.shape[1], 1)).MoveToOuterDisposeScope();
    }
}
