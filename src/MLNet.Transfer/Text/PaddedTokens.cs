namespace MLNet.Transfer.Text;

/// <summary>
/// A batch of encoded inputs right-padded to its longest item as flat row-major int64 arrays [rows × width]: what
/// <see cref="TokenBatch"/> turns into tensors and what ONNX Runtime takes as inputs.
/// </summary>
/// <param name="InputIds">Token ids, padded with the pad id.</param>
/// <param name="TokenTypeIds">Segment ids, 0 on padding.</param>
/// <param name="AttentionMask">1 for a real token, 0 for padding.</param>
/// <param name="Lengths">Real (unpadded) length of each item, special tokens included.</param>
/// <param name="Width">Padded length: the longest item's length.</param>
internal sealed record PaddedTokens(long[] InputIds, long[] TokenTypeIds, long[] AttentionMask, int[] Lengths, int Width)
{
    /// <summary>Number of items.</summary>
    public int Rows => Lengths.Length;

    /// <summary>Pads <paramref name="items"/> to the longest one.</summary>
    /// <param name="items">At least one encoded input; every item must have at least one token.</param>
    /// <param name="padId">Id written into padding positions (the tokenizer's <see cref="BertWordPieceTokenizer.PadId"/>).</param>
    public static PaddedTokens Create(IReadOnlyList<EncodedText> items, int padId)
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
        return new PaddedTokens(ids, types, mask, lengths, width);
    }
}
