using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace MLNet.Transfer.Text;

/// <summary>
/// Hugging Face's BertPreTokenizer as a regular expression: split on whitespace, and make every punctuation
/// character its own word. Punctuation is Unicode category P* plus the ASCII symbols $ + &lt; = &gt; ^ ` | ~,
/// as in BERT's <c>_is_punctuation</c>; everything else (letters, digits, emoji, other symbols) stays in words.
/// </summary>
/// <remarks>
/// Microsoft.ML.Tokenizers 2.0.1's own BERT pre-tokenizer is <c>\w+|[\p{P}]</c>, which silently drops
/// every character that is neither a word character nor punctuation ($, +, =, &lt;, emoji, ², astral-plane
/// letters) and keeps "_" inside words.
/// </remarks>
internal static partial class BertPreTokenizer
{
    /// <summary>Creates the pre-tokenizer; <paramref name="specialTokens"/> (already normalized) are kept whole.</summary>
    public static PreTokenizer Create(IReadOnlyDictionary<string, int>? specialTokens) =>
        new RegexPreTokenizer(WordOrPunctuation(), specialTokens);

    [GeneratedRegex(@"[^\s\p{P}$+<=>^`|~]+|[\p{P}$+<=>^`|~]", RegexOptions.CultureInvariant)]
    private static partial Regex WordOrPunctuation();
}
