namespace MLNet.Transfer.Text;

/// <summary>
/// How a <see cref="BertWordPieceTokenizer"/> normalizes and splits text. The defaults reproduce Hugging Face's
/// <c>bert-base-uncased</c> tokenizer (BertNormalizer + BertPreTokenizer + WordPiece).
/// </summary>
public sealed class BertWordPieceOptions
{
    /// <summary>Lower-case the text before splitting it. Default <c>true</c> (uncased models).</summary>
    public bool LowerCase { get; set; } = true;

    /// <summary>
    /// Remove accents (Unicode NFD, then drop non-spacing marks). <c>null</c> (the default) follows
    /// <see cref="LowerCase"/>, as Hugging Face does, so "Café" becomes "cafe" in uncased models.
    /// </summary>
    public bool? StripAccents { get; set; }

    /// <summary>Put spaces around CJK ideographs so each becomes its own word. Default <c>true</c>.</summary>
    public bool TokenizeChineseChars { get; set; } = true;

    /// <summary>
    /// Recognise the special tokens ([CLS], [SEP], [PAD], [MASK], [UNK]) written literally in the input text
    /// and map them to their ids, as Hugging Face does. Default <c>true</c>.
    /// </summary>
    public bool SplitOnSpecialTokens { get; set; } = true;

    /// <summary>Token for word pieces missing from the vocabulary. Default "[UNK]".</summary>
    public string UnknownToken { get; set; } = "[UNK]";

    /// <summary>Token that starts every sequence. Default "[CLS]".</summary>
    public string ClassificationToken { get; set; } = "[CLS]";

    /// <summary>Token that ends every segment. Default "[SEP]".</summary>
    public string SeparatorToken { get; set; } = "[SEP]";

    /// <summary>Token used for padding. Default "[PAD]".</summary>
    public string PaddingToken { get; set; } = "[PAD]";

    /// <summary>Token used for masked language modelling. Default "[MASK]".</summary>
    public string MaskToken { get; set; } = "[MASK]";

    /// <summary>Prefix of word pieces that continue a word. Default "##".</summary>
    public string ContinuingSubwordPrefix { get; set; } = "##";

    /// <summary>Longer words (in UTF-16 chars) become a single unknown token. Default 100, range 1–10,000.</summary>
    public int MaxInputCharsPerWord { get; set; } = 100;

    /// <summary>The five special tokens: unknown, separator, padding, classification, mask.</summary>
    internal string[] SpecialTokens => [UnknownToken, SeparatorToken, PaddingToken, ClassificationToken, MaskToken];

    /// <summary>The effective accent stripping: <see cref="StripAccents"/>, or <see cref="LowerCase"/> when it is unset.</summary>
    internal bool EffectiveStripAccents => StripAccents ?? LowerCase;

    /// <summary>Checks every value and throws a clear error for the first bad one.</summary>
    internal void Validate()
    {
        RequireToken(UnknownToken, nameof(UnknownToken));
        RequireToken(ClassificationToken, nameof(ClassificationToken));
        RequireToken(SeparatorToken, nameof(SeparatorToken));
        RequireToken(PaddingToken, nameof(PaddingToken));
        RequireToken(MaskToken, nameof(MaskToken));
        if (ContinuingSubwordPrefix is null)
            throw new ArgumentException("ContinuingSubwordPrefix must not be null (use \"##\" for BERT).", nameof(ContinuingSubwordPrefix));
        if (MaxInputCharsPerWord is < 1 or > 10_000)
            throw new ArgumentOutOfRangeException(nameof(MaxInputCharsPerWord), MaxInputCharsPerWord, "MaxInputCharsPerWord must be in 1..10000 (BERT uses 100).");
    }

    /// <summary>A copy, so a tokenizer never sees later changes to the caller's options.</summary>
    internal BertWordPieceOptions Clone() => (BertWordPieceOptions)MemberwiseClone();

    private static void RequireToken(string value, string name)
    {
        if (string.IsNullOrWhiteSpace(value))
            throw new ArgumentException($"{name} must be a non-empty token string.", name);
    }
}
