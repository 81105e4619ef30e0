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
        ArgumentNullException.ThrowIfNull(items);
        if (items.Count == 0)
            throw new ArgumentException("A batch needs at least one item.", nameof(items));

        int batch = items.Count;
        var lengths = new int[batch];
        for (int i = 0; i < batch; i++)
        {
            lengths[i] = items[i].Length;
            if (lengths[i] == 0)
                throw new ArgumentException($"Item {i} is empty; encoded inputs hold at least [CLS] and [SEP].", nameof(items));
        }
        int width = lengths.Max();

        var ids = new long[batch * width];
        var types = new long[batch * width];
        var mask = new long[batch * width];
        if (padId != 0)
            Array.Fill(ids, padId);
        for (int row = 0; row < batch; row++)
        {
            var item = items[row];
            int offset = row * width;
            for (int t = 0; t < item.Length; t++)
            {
                ids[offset + t] = item.InputIds[t];
                types[offset + t] = item.TokenTypeIds[t];
            }
            mask.AsSpan(offset, item.Length).Fill(1);
        }

        long[] shape = [batch, width];
        device ??= CPU;
        return new TokenBatch(
            torch.tensor(ids, shape, ScalarType.Int64, device),
            torch.tensor(types, shape, ScalarType.Int64, device),
            torch.tensor(mask, shape, ScalarType.Int64, device),
            lengths);
    }

    /// <summary>Disposes the three tensors.</summary>
    public void Dispose()
    {
        InputIds.Dispose();
        TokenTypeIds.Dispose();
        AttentionMask.Dispose();
    }
}
