using Microsoft.ML.Tokenizers;

namespace MLNet.Transfer.Text;

/// <summary>
/// BERT WordPiece tokenization that produces model inputs: [CLS] … [SEP] with token type ids, truncation
/// (head, tail, head + tail), sentence pairs and sliding windows. Built on Microsoft.ML.Tokenizers'
/// <see cref="BertTokenizer"/> with Hugging Face's normalization and pre-tokenization, so ids match
/// <c>transformers</c>' BertTokenizer for the same vocab.txt.
/// </summary>
/// <remarks>
/// Immutable after creation and safe for concurrent use from many threads. Never throws for any string
/// content (lone surrogates, control characters, emoji, very long texts); only <c>null</c> is rejected.
/// </remarks>
public sealed partial class BertWordPieceTokenizer
{
    /// <summary>Default share of the budget kept from the start by <see cref="TruncationStrategy.HeadAndTail"/>.</summary>
    public const double DefaultHeadFraction = 0.25;

    private readonly BertTokenizer _tokenizer;
    private readonly string[] _vocabulary;
    private readonly Dictionary<string, int> _ids;
    private readonly BertWordPieceOptions _options;
    private readonly AsciiWordPieceEncoder? _ascii;

    private BertWordPieceTokenizer(IReadOnlyList<string> vocabulary, BertWordPieceOptions? options, bool asciiFastPath = true)
    {
        _options = options?.Clone() ?? new BertWordPieceOptions();
        _options.Validate();
        _vocabulary = vocabulary.ToArray();
        _ids = VocabularyText.Index(_vocabulary);
        UnkId = RequireId(_options.UnknownToken, nameof(BertWordPieceOptions.UnknownToken));
        ClsId = RequireId(_options.ClassificationToken, nameof(BertWordPieceOptions.ClassificationToken));
        SepId = RequireId(_options.SeparatorToken, nameof(BertWordPieceOptions.SeparatorToken));
        PadId = RequireId(_options.PaddingToken, nameof(BertWordPieceOptions.PaddingToken));
        MaskId = RequireId(_options.MaskToken, nameof(BertWordPieceOptions.MaskToken));
        _tokenizer = CreateInner(_vocabulary, _ids, _options);
        _ascii = asciiFastPath ? AsciiWordPieceEncoder.TryCreate(_ids, _vocabulary, _options, UnkId) : null;
    }

    /// <summary>Id of the classification token ([CLS]) that starts every input.</summary>
    public int ClsId { get; }

    /// <summary>Id of the separator token ([SEP]) that ends every segment.</summary>
    public int SepId { get; }

    /// <summary>Id of the padding token ([PAD]).</summary>
    public int PadId { get; }

    /// <summary>Id of the mask token ([MASK]) for masked language modelling.</summary>
    public int MaskId { get; }

    /// <summary>Id of the unknown token ([UNK]).</summary>
    public int UnkId { get; }

    /// <summary>Number of ids (vocab.txt lines); the model's embedding table must have at least this many rows.</summary>
    public int VocabSize => _vocabulary.Length;

    /// <summary>True when text is lower-cased before splitting (uncased models).</summary>
    public bool LowerCase => _options.LowerCase;

    /// <summary>A copy of every normalisation and special-token setting this tokenizer was built with.</summary>
    public BertWordPieceOptions Options => _options.Clone();

    /// <summary>True when ASCII text takes the single-pass fast path (<see cref="AsciiWordPieceEncoder"/>).</summary>
    internal bool HasAsciiFastPath => _ascii is not null;

    /// <summary>The tokens in id order (an empty string marks an unused id).</summary>
    public IReadOnlyList<string> Vocabulary => _vocabulary;

    /// <summary>The token string of an id, e.g. "hello" or "##ing".</summary>
    /// <param name="id">A vocabulary id in [0, <see cref="VocabSize"/>).</param>
    public string IdToToken(int id)
    {
        if ((uint)id >= (uint)_vocabulary.Length)
            throw new ArgumentOutOfRangeException(nameof(id), id, $"Token id must be in [0, {_vocabulary.Length}).");
        return _vocabulary[id];
    }

    /// <summary>Looks up the id of an exact token string (no normalization).</summary>
    /// <param name="token">A vocabulary entry, e.g. "[MASK]" or "##s".</param>
    /// <param name="id">The id when found.</param>
    public bool TryGetId(string token, out int id) => _ids.TryGetValue(token ?? string.Empty, out id);

    /// <summary>The token strings of an encoded input, special tokens included, for token-level output.</summary>
    /// <param name="encoded">An input produced by this tokenizer.</param>
    public string[] GetTokens(EncodedText encoded) =>
        Array.ConvertAll(encoded.InputIds ?? [], IdToToken);

    /// <summary>
    /// Joins word pieces back into text: "##" pieces attach to the previous piece, others are separated by a
    /// space. Lower-casing and accent stripping cannot be undone.
    /// </summary>
    /// <param name="ids">Token ids.</param>
    /// <param name="skipSpecialTokens">Leave out [CLS], [SEP], [PAD], [MASK] (default true).</param>
    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = true)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var text = new System.Text.StringBuilder();
        string prefix = _options.ContinuingSubwordPrefix;
        foreach (int id in ids)
        {
            if (skipSpecialTokens && (id == ClsId || id == SepId || id == PadId || id == MaskId))
                continue;
            string token = IdToToken(id);
            if (prefix.Length > 0 && token.StartsWith(prefix, StringComparison.Ordinal))
                text.Append(token, prefix.Length, token.Length - prefix.Length);
            else
                (text.Length > 0 ? text.Append(' ') : text).Append(token);
        }
        return text.ToString();
    }

    /// <summary>Writes the vocabulary as vocab.txt (one token per line) to a stream, which is left open.</summary>
    /// <param name="stream">Destination.</param>
    public void SaveVocabulary(Stream stream) => VocabularyText.Write(_vocabulary, stream);

    /// <summary>The word-piece ids of a text, without special tokens and without truncation.</summary>
    /// <param name="text">Any string; null is rejected.</param>
    public int[] EncodeWordPieces(string text)
    {
        RequireText(text, nameof(text));
        return _ascii?.TryEncode(text, int.MaxValue, 0, 0) ?? [.. _tokenizer.EncodeToIds(text, addSpecialTokens: false)];
    }

    /// <summary>
    /// Encodes one text as [CLS] pieces [SEP], at most <paramref name="maxTokens"/> long, token type ids all 0.
    /// </summary>
    /// <param name="text">Any string; empty or whitespace gives [CLS] [SEP]; null is rejected.</param>
    /// <param name="maxTokens">Budget including the two special tokens (at least 2), e.g. 128 or 512.</param>
    /// <param name="truncation">Which pieces to keep when the text is longer.</param>
    /// <param name="headFraction">For <see cref="TruncationStrategy.HeadAndTail"/>: share of the budget kept
    /// from the start, in [0, 1]; the default 0.25 gives head 128 + tail 382 at 512 tokens.</param>
    public EncodedText Encode(string text, int maxTokens, TruncationStrategy truncation = TruncationStrategy.Head,
        double headFraction = DefaultHeadFraction)
    {
        RequireText(text, nameof(text));
        if (maxTokens < 2)
            throw new ArgumentOutOfRangeException(nameof(maxTokens), maxTokens, "maxTokens must be at least 2 ([CLS] and [SEP]).");
        if (!(headFraction is >= 0 and <= 1))
            throw new ArgumentOutOfRangeException(nameof(headFraction), headFraction, "headFraction must be in [0, 1].");

        int budget = maxTokens - 2;
        if (truncation == TruncationStrategy.Head && _ascii?.TryEncode(text, budget, 1, 1) is { } direct)
        {
            direct[0] = ClsId;
            direct[^1] = SepId;
            return new EncodedText(direct, new int[direct.Length]);
        }
        int[] pieces = truncation == TruncationStrategy.Head ? EncodePrefix(text, budget) : EncodeWordPieces(text);
        var (head, tail) = Truncation.Single(pieces.Length, budget, truncation, headFraction);

        var ids = new int[head + tail + 2];
        ids[0] = ClsId;
        pieces.AsSpan(0, head).CopyTo(ids.AsSpan(1));
        pieces.AsSpan(pieces.Length - tail, tail).CopyTo(ids.AsSpan(1 + head));
        ids[^1] = SepId;
        return new EncodedText(ids, new int[ids.Length]);
    }

    /// <summary>
    /// Encodes a pair as [CLS] first [SEP] second [SEP] with token type ids 0 … 0 1 … 1, at most
    /// <paramref name="maxTokens"/> long. Too long pairs lose pieces from the end of the longer text first
    /// (Hugging Face's "longest_first").
    /// </summary>
    /// <param name="first">First text (e.g. a premise or question); null is rejected.</param>
    /// <param name="second">Second text (e.g. a hypothesis or passage); null is rejected.</param>
    /// <param name="maxTokens">Budget including the three special tokens (at least 3).</param>
    public EncodedText EncodePair(string first, string second, int maxTokens)
    {
        RequireText(first, nameof(first));
        RequireText(second, nameof(second));
        if (maxTokens < 3)
            throw new ArgumentOutOfRangeException(nameof(maxTokens), maxTokens, "maxTokens must be at least 3 ([CLS] and two [SEP]) for a pair.");

        int[] a = EncodeWordPieces(first), b = EncodeWordPieces(second);
        var (keepA, keepB) = Truncation.LongestFirst(a.Length, b.Length, maxTokens - 3);
        var ids = new int[keepA + keepB + 3];
        var types = new int[ids.Length];
        ids[0] = ClsId;
        a.AsSpan(0, keepA).CopyTo(ids.AsSpan(1));
        ids[keepA + 1] = SepId;
        b.AsSpan(0, keepB).CopyTo(ids.AsSpan(keepA + 2));
        ids[^1] = SepId;
        types.AsSpan(keepA + 2).Fill(1);
        return new EncodedText(ids, types);
    }

    /// <summary>
    /// Splits a long text into overlapping windows, each [CLS] pieces [SEP] and at most
    /// <paramref name="windowTokens"/> long, so a model with a fixed length can read all of it. Window k
    /// starts at word piece k × <paramref name="stride"/>; the last window reaches the end of the text.
    /// A text that fits gives exactly one window.
    /// </summary>
    /// <param name="text">Any string; null is rejected.</param>
    /// <param name="windowTokens">Tokens per window including [CLS] and [SEP] (at least 3).</param>
    /// <param name="stride">Word pieces between window starts, in [1, windowTokens − 2]; smaller means more overlap.</param>
    public IReadOnlyList<EncodedText> EncodeWindows(string text, int windowTokens, int stride)
    {
        RequireText(text, nameof(text));
        if (windowTokens < 3)
            throw new ArgumentOutOfRangeException(nameof(windowTokens), windowTokens, "windowTokens must be at least 3.");
        int body = windowTokens - 2;
        if (stride < 1 || stride > body)
            throw new ArgumentOutOfRangeException(nameof(stride), stride, $"stride must be in [1, {body}] so windows cover every word piece.");

        int[] pieces = EncodeWordPieces(text);
        var windows = new List<EncodedText>(1 + Math.Max(0, pieces.Length - body + stride - 1) / stride);
        for (int start = 0; ; start += stride)
        {
            int count = Math.Min(body, pieces.Length - start);
            var ids = new int[count + 2];
            ids[0] = ClsId;
            pieces.AsSpan(start, count).CopyTo(ids.AsSpan(1));
            ids[^1] = SepId;
            windows.Add(new EncodedText(ids, new int[ids.Length]));
            if (start + body >= pieces.Length)
                return windows;
        }
    }

    /// <summary>
    /// The first <paramref name="budget"/> pieces without encoding the whole text: Microsoft.ML.Tokenizers
    /// stops before the first word that no longer fits, and one word yields at most MaxInputCharsPerWord pieces,
    /// so asking for budget + that many always covers the budget exactly when the text is long enough.
    /// </summary>
    private int[] EncodePrefix(string text, int budget)
    {
        if (budget == 0)
            return [];
        if (_ascii?.TryEncode(text, budget, 0, 0) is { } fast)
            return fast;
        int limit = (int)Math.Min((long)budget + _options.MaxInputCharsPerWord, int.MaxValue);
        var ids = _tokenizer.EncodeToIds(text, maxTokenCount: limit, addSpecialTokens: false, out _, out _);
        int count = Math.Min(budget, ids.Count);
        var result = new int[count];
        for (int i = 0; i < count; i++)
            result[i] = ids[i];
        return result;
    }

    private int RequireId(string token, string optionName) =>
        _ids.TryGetValue(token, out int id)
            ? id
            : throw new ArgumentException($"The vocabulary has no '{token}' token ({optionName}); check the vocab file or set the option to the model's token.");

    private static void RequireText(string text, string parameterName)
    {
        if (text is null)
            throw new ArgumentNullException(parameterName, "Text to encode must not be null; use an empty string for no text.");
    }
}
