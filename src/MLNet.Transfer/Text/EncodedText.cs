namespace MLNet.Transfer.Text;

/// <summary>
/// One encoded model input: word-piece ids with the special tokens in place ([CLS] … [SEP], or
/// [CLS] a [SEP] b [SEP] for pairs) and the matching token type (segment) ids. No padding: padding and
/// attention masks are added per batch by <see cref="TokenBatch"/>.
/// </summary>
/// <remarks>Equality compares the array references, not their contents.</remarks>
public readonly record struct EncodedText
{
    /// <summary>Creates an encoded input from ids and token type ids of equal length.</summary>
    /// <param name="inputIds">Vocabulary ids, special tokens included.</param>
    /// <param name="tokenTypeIds">Segment ids: 0 for the first sequence, 1 for the second of a pair.</param>
    /// <exception cref="ArgumentException">The two arrays differ in length.</exception>
    public EncodedText(int[] inputIds, int[] tokenTypeIds)
    {
        ArgumentNullException.ThrowIfNull(inputIds);
        ArgumentNullException.ThrowIfNull(tokenTypeIds);
        if (inputIds.Length != tokenTypeIds.Length)
            throw new ArgumentException(
                $"Token type ids ({tokenTypeIds.Length}) must have the same length as input ids ({inputIds.Length}).",
                nameof(tokenTypeIds));
        InputIds = inputIds;
        TokenTypeIds = tokenTypeIds;
    }

    /// <summary>Vocabulary ids, special tokens included.</summary>
    public int[] InputIds { get; }

    /// <summary>Segment ids, one per input id: 0 for the first sequence, 1 for the second of a pair.</summary>
    public int[] TokenTypeIds { get; }

    /// <summary>Number of tokens, special tokens included (0 for <c>default</c>).</summary>
    public int Length => InputIds?.Length ?? 0;
}
