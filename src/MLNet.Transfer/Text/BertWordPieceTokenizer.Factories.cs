using Microsoft.ML.Tokenizers;

namespace MLNet.Transfer.Text;

// Creation: from vocab.txt, a token list, tokenizer.json or a Hugging Face directory, and the wiring of
// Microsoft.ML.Tokenizers' BertTokenizer with Hugging Face's normalizer and pre-tokenizer.
public sealed partial class BertWordPieceTokenizer
{
    /// <summary>Creates a tokenizer from the lines of a vocab.txt stream (left open).</summary>
    /// <param name="vocab">A WordPiece vocab.txt: one token per line, line number = id.</param>
    /// <param name="lowerCase">True for uncased models (also strips accents, as Hugging Face does).</param>
    public static BertWordPieceTokenizer FromVocab(Stream vocab, bool lowerCase = true) =>
        FromVocab(vocab, new BertWordPieceOptions { LowerCase = lowerCase });

    /// <summary>Creates a tokenizer from the lines of a vocab.txt stream (left open) with explicit options.</summary>
    /// <param name="vocab">A WordPiece vocab.txt: one token per line, line number = id.</param>
    /// <param name="options">Normalization and special tokens; copied, later changes have no effect.</param>
    public static BertWordPieceTokenizer FromVocab(Stream vocab, BertWordPieceOptions options) =>
        new(VocabularyText.Read(vocab ?? throw new ArgumentNullException(nameof(vocab))), options);

    /// <summary>Creates a tokenizer from a vocab.txt file.</summary>
    /// <param name="path">Path of a WordPiece vocab.txt.</param>
    /// <param name="lowerCase">True for uncased models (also strips accents, as Hugging Face does).</param>
    public static BertWordPieceTokenizer FromVocabFile(string path, bool lowerCase = true) =>
        FromVocabFile(path, new BertWordPieceOptions { LowerCase = lowerCase });

    /// <summary>Creates a tokenizer from a vocab.txt file with explicit options.</summary>
    /// <param name="path">Path of a WordPiece vocab.txt.</param>
    /// <param name="options">Normalization and special tokens; copied, later changes have no effect.</param>
    public static BertWordPieceTokenizer FromVocabFile(string path, BertWordPieceOptions options)
    {
        using var stream = HuggingFaceTokenizerFiles.OpenExisting(path, "vocabulary file");
        return FromVocab(stream, options);
    }

    /// <summary>Creates a tokenizer from tokens in id order (an empty string leaves an id unused).</summary>
    /// <param name="tokens">The vocabulary; index = id.</param>
    /// <param name="options">Normalization and special tokens; null for the bert-base-uncased defaults.</param>
    public static BertWordPieceTokenizer FromTokens(IReadOnlyList<string> tokens, BertWordPieceOptions? options = null) =>
        new(tokens ?? throw new ArgumentNullException(nameof(tokens)), options);

    /// <summary>
    /// A tokenizer that always takes the general pipeline, never the ASCII fast path (<see cref="AsciiWordPieceEncoder"/>):
    /// the reference the fast path is tested against.
    /// </summary>
    internal static BertWordPieceTokenizer WithoutFastPath(IReadOnlyList<string> tokens, BertWordPieceOptions? options = null) =>
        new(tokens, options, asciiFastPath: false);

    /// <summary>
    /// Creates a tokenizer from a Hugging Face tokenizer.json with a WordPiece model (BERT, DistilBERT, MiniLM…):
    /// vocabulary, lower-casing, accent stripping and special tokens are read from the file.
    /// </summary>
    /// <param name="tokenizerJson">The tokenizer.json stream (left open).</param>
    /// <exception cref="NotSupportedException">The model is not WordPiece (e.g. BPE or Unigram).</exception>
    public static BertWordPieceTokenizer FromTokenizerJson(Stream tokenizerJson)
    {
        var (tokens, options) = HuggingFaceTokenizerFiles.ReadTokenizerJson(tokenizerJson);
        return new(tokens, options);
    }

    /// <summary>
    /// Creates a tokenizer from a Hugging Face model directory: tokenizer.json when present, otherwise
    /// vocab.txt with the settings of tokenizer_config.json (do_lower_case, strip_accents, special tokens).
    /// </summary>
    /// <param name="directory">A directory as written by <c>save_pretrained</c>.</param>
    public static BertWordPieceTokenizer FromHuggingFaceDirectory(string directory)
    {
        var (tokens, options) = HuggingFaceTokenizerFiles.ReadDirectory(directory);
        return new(tokens, options);
    }

    private static BertTokenizer CreateInner(string[] vocabulary, Dictionary<string, int> ids, BertWordPieceOptions options)
    {
        string[] specials = options.SpecialTokens;
        var normalizer = new BertTextNormalizer(options.LowerCase, options.EffectiveStripAccents, options.TokenizeChineseChars,
            options.SplitOnSpecialTokens ? specials : null);
        // The normalizer leaves special tokens verbatim, so the pre-tokenizer looks for them verbatim.
        var specialTokens = options.SplitOnSpecialTokens ? specials.Distinct().ToDictionary(t => t, t => ids[t]) : null;

        using var vocab = new MemoryStream();
        VocabularyText.Write(vocabulary, vocab);
        vocab.Position = 0;
        return BertTokenizer.Create(vocab, new BertOptions
        {
            LowerCaseBeforeTokenization = options.LowerCase,
            ApplyBasicTokenization = true,
            SplitOnSpecialTokens = options.SplitOnSpecialTokens,
            RemoveNonSpacingMarks = options.EffectiveStripAccents,
            IndividuallyTokenizeCjk = options.TokenizeChineseChars,
            UnknownToken = options.UnknownToken,
            ClassificationToken = options.ClassificationToken,
            SeparatorToken = options.SeparatorToken,
            PaddingToken = options.PaddingToken,
            MaskingToken = options.MaskToken,
            ContinuingSubwordPrefix = options.ContinuingSubwordPrefix,
            MaxInputCharsPerWord = options.MaxInputCharsPerWord,
            Normalizer = normalizer,
            PreTokenizer = BertPreTokenizer.Create(specialTokens),
        });
    }
}
