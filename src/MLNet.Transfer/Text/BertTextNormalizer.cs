using System.Buffers;
using System.Globalization;
using System.Text;
using Microsoft.ML.Tokenizers;

namespace MLNet.Transfer.Text;

/// <summary>
/// Hugging Face's BertNormalizer, exactly: drop NUL, U+FFFD and every "other" character (control, format,
/// private use, unassigned, lone surrogates) except tab/CR/LF; turn all whitespace into a space; put spaces
/// around CJK ideographs; strip accents (NFD, drop non-spacing marks); lower-case. Special tokens written
/// verbatim in the text ("[SEP]", not "[sep]") are kept as they are, as Hugging Face matches them before
/// normalizing.
/// </summary>
/// <remarks>
/// Used instead of Microsoft.ML.Tokenizers' own normalizer, which (2.0.1) deletes tab and newline (gluing
/// "hello\nworld" into "hello ##world"), keeps format characters, also drops spacing combining marks,
/// re-composes with NFC, and throws on lone surrogates. Stateless, so safe to share between threads.
/// </remarks>
internal sealed class BertTextNormalizer : Normalizer
{
    private readonly bool _lowerCase;
    private readonly bool _stripAccents;
    private readonly bool _chineseChars;
    private readonly string[] _specialTokens;
    private readonly SearchValues<string>? _specialTokenSearch;

    /// <summary>Creates the normalizer; <paramref name="specialTokens"/> are protected from normalization.</summary>
    public BertTextNormalizer(bool lowerCase, bool stripAccents, bool chineseChars, IEnumerable<string>? specialTokens = null)
    {
        _lowerCase = lowerCase;
        _stripAccents = stripAccents;
        _chineseChars = chineseChars;
        _specialTokens = specialTokens?.Where(t => t.Length > 0).Distinct(StringComparer.Ordinal).OrderByDescending(t => t.Length).ToArray() ?? [];
        _specialTokenSearch = _specialTokens.Length > 0 ? SearchValues.Create(_specialTokens, StringComparison.Ordinal) : null;
    }

    /// <inheritdoc />
    public override string Normalize(string original)
    {
        if (string.IsNullOrEmpty(original))
            return string.Empty;
        if (_specialTokenSearch is null || original.AsSpan().IndexOfAny(_specialTokenSearch) < 0)
            return NormalizePlain(original);

        // Normalize the text between special tokens; keep each token verbatim, as a word of its own.
        var result = new StringBuilder(original.Length + 16);
        ReadOnlySpan<char> rest = original;
        int found;
        while ((found = rest.IndexOfAny(_specialTokenSearch)) >= 0)
        {
            result.Append(NormalizePlain(rest[..found].ToString()));
            string token = LongestTokenAt(rest[found..]);
            result.Append(' ').Append(token).Append(' ');
            rest = rest[(found + token.Length)..];
        }
        return result.Append(NormalizePlain(rest.ToString())).ToString();
    }

    /// <inheritdoc />
    public override string Normalize(ReadOnlySpan<char> original) => Normalize(original.ToString());

    /// <summary>The special token the text starts with (the list is sorted longest first).</summary>
    private string LongestTokenAt(ReadOnlySpan<char> text)
    {
        foreach (string token in _specialTokens)
        {
            if (text.StartsWith(token, StringComparison.Ordinal))
                return token;
        }
        throw new InvalidOperationException("Unreachable: the search found a special token here.");
    }

    private string NormalizePlain(string original)
    {
        if (original.Length == 0)
            return original;
        return Ascii.IsValid(original) ? NormalizeAscii(original) : NormalizeUnicode(original);
    }

    /// <summary>Fast path: ASCII has no decomposition, marks or CJK; returns the input itself when nothing changes.</summary>
    private string NormalizeAscii(string original)
    {
        int kept = 0;
        bool changed = false;
        foreach (char c in original)
        {
            bool control = c < ' ' || c == '\u007f';
            bool keep = !control || c is '\t' or '\n' or '\r';
            kept += keep ? 1 : 0;
            changed |= control || (_lowerCase && char.IsAsciiLetterUpper(c));
        }
        if (!changed)
            return original;

        return string.Create(kept, (original, _lowerCase), static (destination, state) =>
        {
            int written = 0;
            foreach (char c in state.original)
            {
                if (c is '\t' or '\n' or '\r')
                    destination[written++] = ' ';
                else if (c >= ' ' && c != '\u007f')
                    destination[written++] = state._lowerCase ? char.ToLowerInvariant(c) : c;
            }
        });
    }

    private string NormalizeUnicode(ReadOnlySpan<char> original)
    {
        var builder = new StringBuilder(original.Length + 8);
        while (!original.IsEmpty)
        {
            var status = Rune.DecodeFromUtf16(original, out Rune rune, out int consumed);
            original = original[consumed..];
            if (status != OperationStatus.Done)
                continue; // lone surrogate: HF would never see one (Python/Rust strings cannot hold it); drop it
            int cp = rune.Value;
            if (cp is 0 or 0xFFFD)
                continue;
            if (cp is '\t' or '\n' or '\r')
            {
                builder.Append(' ');
                continue;
            }
            if (IsOther(Rune.GetUnicodeCategory(rune)))
                continue;
            if (Rune.IsWhiteSpace(rune))
                builder.Append(' ');
            else if (_chineseChars && IsCjkIdeograph(cp))
                builder.Append(' ').Append(rune.ToString()).Append(' ');
            else
                AppendRune(builder, rune);
        }

        // Strip before lower-casing, as Hugging Face's (Rust) BertNormalizer does: NFD turns "İ" into "I" + dot,
        // whereas .NET's invariant lower-casing leaves "İ" unchanged.
        string text = builder.ToString();
        if (_stripAccents)
            text = StripAccents(text);
        if (_lowerCase)
            text = text.Replace("\u0130", "i\u0307", StringComparison.Ordinal).ToLowerInvariant();
        return text;
    }

    private static string StripAccents(string text)
    {
        string decomposed;
        try
        {
            decomposed = text.Normalize(NormalizationForm.FormD);
        }
        catch (ArgumentException)
        {
            // Unreachable with the cleaning above (no lone surrogates or unassigned code points are left),
            // kept so that no input string can ever make encoding throw.
            decomposed = text;
        }

        var builder = new StringBuilder(decomposed.Length);
        foreach (Rune rune in decomposed.EnumerateRunes())
        {
            if (Rune.GetUnicodeCategory(rune) != UnicodeCategory.NonSpacingMark)
                AppendRune(builder, rune);
        }
        return builder.ToString();
    }

    private static void AppendRune(StringBuilder builder, Rune rune)
    {
        if (rune.IsBmp)
            builder.Append((char)rune.Value);
        else
            builder.Append(rune.ToString());
    }

    /// <summary>Unicode general category C*: what HF's clean_text removes (tab, CR and LF are handled before).</summary>
    private static bool IsOther(UnicodeCategory category) => category is UnicodeCategory.Control
        or UnicodeCategory.Format or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned;

    /// <summary>The CJK Unified Ideograph blocks BERT splits into single characters (not Hangul or kana).</summary>
    private static bool IsCjkIdeograph(int cp) =>
        cp is >= 0x4E00 and <= 0x9FFF
        or >= 0x3400 and <= 0x4DBF
        or >= 0x20000 and <= 0x2A6DF
        or >= 0x2A700 and <= 0x2B73F
        or >= 0x2B740 and <= 0x2B81F
        or >= 0x2B820 and <= 0x2CEAF
        or >= 0xF900 and <= 0xFAFF
        or >= 0x2F800 and <= 0x2FA1F;
}
