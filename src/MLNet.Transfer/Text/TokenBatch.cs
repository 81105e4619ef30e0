using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.Transfer.Text;

/// <summary>
/// A padded batch of encoded inputs as int64 tensors of shape [batch, tokens], padded only to the longest
/// item in the batch. Owns its tensors: dispose it (or let the enclosing dispose scope do so).
/// </summary>
public sealed class TokenBatch : IDisposable
{
    private TokenBatch(Tensor inputIds, Tensor tokenTypeIds, Tensor attentionMask, int[] lengths)
    {
        InputIds = inputIds;
        TokenTypeIds = tokenTypeIds;
        AttentionMask = attentionMask;
        Lengths = lengths;
    }

    /// <summary>Token ids [batch, tokens], padded with the pad id.</summary>
    public Tensor InputIds { get; }

    /// <summary>Segment ids [batch, tokens], 0 on padding.</summary>
    public Tensor TokenTypeIds { get; }

    /// <summary>[batch, tokens]: 1 for a real token, 0 for padding.</summary>
    public Tensor AttentionMask { get; }

    /// <summary>Real (unpadded) length of each item, special tokens included.</summary>
    public int[] Lengths { get; }

    /// <summary>Number of items.</summary>
    public int BatchSize => Lengths.Length;

    /// <summary>Padded length: the longest item's length.</summary>
    public int SequenceLength => (int)InputIds.shape[1];

    /// <summary>
    /// Pads the items to the longest one and builds the three tensors, each from a single buffer.
    /// </summary>
    /// <param name="items">At least one encoded input; every item must have at least one token.</param>
    /// <param name="padId">Id written into padding positions (the tokenizer's <see cref="BertWordPieceTokenizer.PadId"/>).</param>
    /// <param name="device">Where the tensors live; null for the CPU.</param>
    public static TokenBatch Create(IReadOnlyList<EncodedText> items, int padId, Device? device = null)
    {
        var padded = PaddedTokens.Create(items, padId);
        long[] shape = [padded.Rows, padded.Width];
        device ??= CPU;
        return new TokenBatch(
            torch.tensor(padded.InputIds, shape, ScalarType.Int64, device),
            torch.tensor(padded.TokenTypeIds, shape, ScalarType.Int64, device),
            torch.tensor(padded.AttentionMask, shape, ScalarType.Int64, device),
            padded.Lengths);
    }

    /// <summary>Disposes the three tensors.</summary>
    public void Dispose()
    {
        InputIds.Dispose();
        TokenTypeIds.Dispose();
        AttentionMask.Dispose();
    }
}
