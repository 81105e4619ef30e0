namespace MLNet.Transfer;

/// <summary>Which word pieces to keep when a text is longer than the model's token budget.</summary>
public enum TruncationStrategy
{
    /// <summary>Keep the beginning of the text (the usual BERT default).</summary>
    Head,

    /// <summary>Keep the end of the text.</summary>
    Tail,

    /// <summary>
    /// Keep the beginning and the end and drop the middle: a fraction of the budget (by default a quarter)
    /// goes to the head and the rest to the tail. Sun et al. (2019), "How to Fine-Tune BERT for Text
    /// Classification?", found head 128 + tail 382 of 510 word pieces best on long reviews (IMDb).
    /// </summary>
    HeadAndTail,
}
