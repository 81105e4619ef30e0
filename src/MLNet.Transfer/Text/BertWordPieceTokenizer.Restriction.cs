using System.Globalization;

namespace MLNet.Transfer.Text;

// A smaller vocabulary for models trained from scratch on one corpus.
public sealed partial class BertWordPieceTokenizer
{
    /// <summary>
    /// A tokenizer with this one's normalisation and special tokens whose vocabulary keeps, in the original order, only
    /// the word pieces that <paramref name="corpus"/> uses at least <paramref name="minCount"/> times, every
    /// single-character piece (so unseen words still split into characters rather than [UNK]) and the special tokens.
    /// </summary>
    /// <remarks>
    /// For a language model trained from scratch on a small corpus most of a 30k-piece vocabulary never occurs: its
    /// embedding rows are dead weight and its output layer is the largest matrix product of a small model. With
    /// <paramref name="minCount"/> 1 the corpus tokenizes into exactly the same pieces as before (WordPiece's greedy
    /// longest match finds the same piece at every step when only unused pieces are removed); only the ids change, so a
    /// model trained with the result must keep this tokenizer (saved model directories carry their own vocab.txt).
    /// </remarks>
    /// <param name="corpus">The training text, one text per item; null items are rejected.</param>
    /// <param name="minCount">Minimum number of uses for a multi-character piece to stay (at least 1).</param>
    public BertWordPieceTokenizer RestrictTo(IEnumerable<string> corpus, int minCount = 1)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentOutOfRangeException.ThrowIfLessThan(minCount, 1);
        var uses = new int[_vocabulary.Length];
        int line = 0;
        foreach (var text in corpus)
        {
            if (text is null) throw new ArgumentNullException(nameof(corpus), $"Corpus line {line} is null.");
            foreach (int id in EncodeWordPieces(text)) uses[id]++;
            line++;
        }
        var specials = new HashSet<string>(_options.SpecialTokens, StringComparer.Ordinal);
        var kept = _vocabulary.Where((token, id) => token.Length > 0 && (uses[id] >= minCount || specials.Contains(token) || IsSingleCharacter(token)));
        return new BertWordPieceTokenizer(kept.ToArray(), _options);
    }

    private bool IsSingleCharacter(string token)
    {
        string piece = token.StartsWith(_options.ContinuingSubwordPrefix, StringComparison.Ordinal) && token.Length > _options.ContinuingSubwordPrefix.Length
            ? token[_options.ContinuingSubwordPrefix.Length..]
            : token;
        return new StringInfo(piece).LengthInTextElements == 1;
    }
}
