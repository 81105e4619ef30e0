using System.Buffers;

namespace MLNet.Transfer.Text;

/// <summary>
/// The fast path of <see cref="BertWordPieceTokenizer"/> for the common case, ASCII text: normalization, splitting
/// and WordPiece in one pass over the string, with vocabulary lookups over spans (no per-word strings, regex or
/// lists). For every text it accepts it yields exactly the ids of the general pipeline (<see cref="BertTextNormalizer"/>,
/// <see cref="BertPreTokenizer"/>, Microsoft.ML.Tokenizers' WordPiece); it declines the rest, which then takes that
/// pipeline: any non-ASCII character, control characters other than tab/CR/LF (they are deleted, which could glue
/// a special token together), and text that may contain a special token.
/// </summary>
/// <remarks>
/// For ASCII the general pipeline reduces to: tab, CR and LF are spaces; upper case becomes lower case (uncased
/// models); every printable non-alphanumeric character is a word of its own (all of them are punctuation or one of
/// BERT's extra symbols $ + &lt; = &gt; ^ ` | ~); runs of letters and digits are words; a word longer than
/// MaxInputCharsPerWord is [UNK]; otherwise greedy longest-match WordPiece, and a word with an unmatched rest is
/// a single [UNK]. Immutable and thread-safe.
/// </remarks>
internal sealed class AsciiWordPieceEncoder
{
    // Printable ASCII plus tab, LF and CR: the characters this path handles.
    private static readonly SearchValues<char> Handled = SearchValues.Create(
        "\t\n\r !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~");

    private const int StackChars = 256, StackInts = 256;

    private readonly SpanVocabulary _vocabulary;
    private readonly int[] _punctuationIds = new int[128];
    private readonly SearchValues<string>? _specialTokens;
    private readonly SearchValues<char>? _specialTokenStarts;
    private readonly bool _lowerCase;
    private readonly string _prefix;
    private readonly int _maxWordChars;
    private readonly int _maxTokenChars;
    private readonly int _unknownId;

    private AsciiWordPieceEncoder(SpanVocabulary vocabulary, Dictionary<string, int> ids, BertWordPieceOptions options, IReadOnlyList<string> specialTokens, int unknownId)
    {
        _vocabulary = vocabulary;
        _lowerCase = options.LowerCase;
        _prefix = options.ContinuingSubwordPrefix;
        _maxWordChars = options.MaxInputCharsPerWord;
        _maxTokenChars = ids.Keys.Max(k => k.Length);
        _unknownId = unknownId;
        if (specialTokens.Count > 0)
        {
            _specialTokens = SearchValues.Create([.. specialTokens], _lowerCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);
            var first = specialTokens.Select(t => t[0]);
            _specialTokenStarts = SearchValues.Create([.. _lowerCase ? first.Select(char.ToLowerInvariant).Concat(first.Select(char.ToUpperInvariant)) : first]);
        }
        for (char c = ' '; c < 127; c++)
            _punctuationIds[c] = ids.TryGetValue(c.ToString(), out int id) ? id : unknownId;
    }

    /// <summary>
    /// The encoder for a vocabulary and options, or null when this path cannot promise identical ids: a special
    /// token with whitespace or control characters (the general pipeline matches it after turning tab/CR/LF into
    /// spaces), a first vocabulary line starting with a byte-order mark (Microsoft.ML.Tokenizers drops it), or a
    /// vocabulary beyond <see cref="SpanVocabulary"/>'s limits (a token over 255 characters, over a million ids).
    /// </summary>
    /// <param name="ids">Token → id, as built from the vocabulary.</param>
    /// <param name="vocabulary">Tokens by id.</param>
    /// <param name="options">Validated options.</param>
    /// <param name="unknownId">Id of the unknown token.</param>
    public static AsciiWordPieceEncoder? TryCreate(Dictionary<string, int> ids, string[] vocabulary, BertWordPieceOptions options, int unknownId)
    {
        if (vocabulary.Length > 0 && vocabulary[0].StartsWith('\uFEFF'))
            return null;
        string[] specials = options.SplitOnSpecialTokens ? options.SpecialTokens : [];
        if (specials.Any(t => t.Any(c => c <= ' ' || c == '\u007f')))
            return null;
        // A special token with a non-ASCII character can never occur in (normalized) ASCII text.
        var asciiSpecials = specials.Where(t => System.Text.Ascii.IsValid(t)).Distinct(StringComparer.Ordinal).ToArray();
        var table = SpanVocabulary.TryCreate(ids);
        return table is null ? null : new AsciiWordPieceEncoder(table, ids, options, asciiSpecials, unknownId);
    }

    /// <summary>
    /// Encodes the first <paramref name="maxPieces"/> word pieces of <paramref name="text"/> into a new array with
    /// <paramref name="front"/> free slots before them and <paramref name="back"/> after them (for [CLS] and [SEP]).
    /// Returns null, doing nothing, when the text needs the general pipeline.
    /// </summary>
    public int[]? TryEncode(string text, int maxPieces, int front, int back)
    {
        var chars = text.AsSpan();
        if (chars.IndexOfAnyExcept(Handled) >= 0)
            return null;
        // First characters of the special tokens first: usually absent ('['), which skips the string search.
        if (_specialTokens is not null && chars.IndexOfAny(_specialTokenStarts!) >= 0 && chars.IndexOfAny(_specialTokens) >= 0)
            return null;

        // A word adds at most MaxInputCharsPerWord pieces and encoding stops after the word that reaches the
        // budget, so this many slots always suffice (and never more than one per character).
        int capacity = (int)Math.Min((long)maxPieces + _maxWordChars, chars.Length) + 1;
        int[]? rentedIds = capacity > StackInts ? ArrayPool<int>.Shared.Rent(capacity) : null;
        Span<int> ids = rentedIds ?? stackalloc int[capacity];
        int wordBufferLength = _prefix.Length + _maxWordChars;
        char[]? rentedChars = wordBufferLength > StackChars ? ArrayPool<char>.Shared.Rent(wordBufferLength) : null;
        Span<char> word = rentedChars ?? stackalloc char[wordBufferLength];
        int count = 0, position = 0;
        while (position < chars.Length && count < maxPieces)
        {
            char c = chars[position];
            if (char.IsAsciiLetterOrDigit(c))
            {
                int start = position;
                while (position < chars.Length && char.IsAsciiLetterOrDigit(chars[position]))
                    position++;
                count = EncodeWord(chars[start..position], word, ids, count);
            }
            else
            {
                if (c > ' ')
                    ids[count++] = _punctuationIds[c];
                position++;
            }
        }
        int kept = Math.Min(count, maxPieces);
        var result = new int[front + kept + back];
        ids[..kept].CopyTo(result.AsSpan(front));
        if (rentedIds is not null)
            ArrayPool<int>.Shared.Return(rentedIds);
        if (rentedChars is not null)
            ArrayPool<char>.Shared.Return(rentedChars);
        return result;
    }

    /// <summary>
    /// Greedy longest-match WordPiece of one word (letters and digits) appended at <paramref name="count"/>;
    /// returns the new count. The buffer holds the prefix then the (lower-cased) word; a continuation piece is
    /// looked up by writing the prefix over the already consumed characters just before it.
    /// </summary>
    private int EncodeWord(ReadOnlySpan<char> text, Span<char> buffer, Span<int> ids, int count)
    {
        if (text.Length > _maxWordChars)
        {
            ids[count] = _unknownId;
            return count + 1;
        }
        int p = _prefix.Length, length = text.Length;
        var word = buffer.Slice(p, length);
        if (_lowerCase)
            System.Text.Ascii.ToLower(text, word, out _);
        else
            text.CopyTo(word);

        int first = count;
        for (int start = 0; start < length;)
        {
            // Longer candidates than the longest vocabulary entry cannot match.
            int end = Math.Min(length, start + (start == 0 ? _maxTokenChars : _maxTokenChars - p));
            int id = -1;
            if (start > 0)
                _prefix.AsSpan().CopyTo(buffer.Slice(start, p));
            for (; end > start; end--)
            {
                var candidate = start == 0 ? buffer.Slice(p, end) : buffer.Slice(start, p + end - start);
                if (_vocabulary.TryGetId(candidate, out id))
                    break;
            }
            if (end <= start)
            {
                ids[first] = _unknownId; // an unmatched rest makes the whole word unknown
                return first + 1;
            }
            ids[count++] = id;
            start = end;
        }
        return count;
    }
}
