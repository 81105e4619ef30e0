using MLNet.Transfer.Text;

namespace MLNet.Transfer.Training.SemiSupervised;

/// <summary>
/// UDA's offline text augmentation on word pieces: the uninformative pieces of a text (low TF-IDF) are the likeliest to
/// change; a changed piece is deleted or replaced by a piece drawn from the corpus, uninformative ones (low corpus-wide
/// TF-IDF) the likeliest. The first and last pieces ([CLS], [SEP]) and every id seen there stay. Needs no model.
/// </summary>
public sealed class TfIdfAugmenter
{
    private readonly Dictionary<int, double> _idf = [];
    private readonly HashSet<int> _special = [];
    private readonly int[] _replacements;
    private readonly double[] _cumulative;

    /// <summary>Learns document frequencies and the replacement distribution from <paramref name="corpus"/>.</summary>
    public TfIdfAugmenter(IReadOnlyList<EncodedText> corpus)
    {
        if (corpus.Count == 0) throw new ArgumentException("The augmentation corpus is empty.", nameof(corpus));
        foreach (var text in corpus.Where(t => t.Length > 0)) { _special.Add(text.InputIds[0]); _special.Add(text.InputIds[^1]); }
        var documents = new Dictionary<int, int>();
        foreach (var text in corpus)
            foreach (int id in Pieces(text).Distinct()) documents[id] = documents.GetValueOrDefault(id) + 1;
        foreach (var (id, df) in documents) _idf[id] = Math.Log((double)corpus.Count / df);
        var corpusScore = new Dictionary<int, double>();
        foreach (var text in corpus)
            foreach (var (id, score) in Scores(text)) corpusScore[id] = corpusScore.GetValueOrDefault(id) + score;
        _replacements = [.. corpusScore.Keys.Order()];
        double max = corpusScore.Count == 0 ? 0 : corpusScore.Values.Max();
        _cumulative = new double[_replacements.Length];
        double total = 0;
        for (int i = 0; i < _replacements.Length; i++) _cumulative[i] = total += max - corpusScore[_replacements[i]] + 1e-6;
    }

    /// <summary>
    /// An augmented copy of <paramref name="text"/>: on average <paramref name="rate"/> of its pieces changed, each changed
    /// one deleted with probability <paramref name="deletionShare"/> and replaced otherwise. At least one piece stays.
    /// </summary>
    public EncodedText Augment(EncodedText text, double rate, double deletionShare, Random random)
    {
        var changes = Changes(text, rate, deletionShare, random);
        var ids = new List<int>(text.Length);
        var types = new List<int>(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            if (changes[i] == Deleted) continue;
            ids.Add(changes[i] == Kept ? text.InputIds[i] : changes[i]);
            types.Add(text.TokenTypeIds[i]);
        }
        var free = Enumerable.Range(0, text.Length).Where(i => !_special.Contains(text.InputIds[i])).ToArray();
        if (free.Length > 0 && free.All(i => changes[i] == Deleted))
        { // everything was deleted: keep the specials and the text's first piece
            var keep = Enumerable.Range(0, text.Length).Where(i => _special.Contains(text.InputIds[i]) || i == free[0]).ToArray();
            return new EncodedText([.. keep.Select(i => text.InputIds[i])], [.. keep.Select(i => text.TokenTypeIds[i])]);
        }
        return new EncodedText([.. ids], [.. types]);
    }

    /// <summary><see cref="Changes"/>: the piece stays.</summary>
    internal const int Kept = -1;
    /// <summary><see cref="Changes"/>: the piece is deleted.</summary>
    internal const int Deleted = -2;

    /// <summary>
    /// What <see cref="Augment"/> does to each piece of <paramref name="text"/>: <see cref="Kept"/>, <see cref="Deleted"/>,
    /// or the id of its replacement (the specials are always kept). Callers that must keep some pieces in place (a tagger's
    /// first word pieces) apply the decisions themselves.
    /// </summary>
    internal int[] Changes(EncodedText text, double rate, double deletionShare, Random random)
    {
        var changes = Enumerable.Repeat(Kept, text.Length).ToArray();
        var positions = Enumerable.Range(0, text.Length).Where(i => !_special.Contains(text.InputIds[i])).ToArray();
        if (positions.Length == 0 || rate <= 0 || _replacements.Length == 0) return changes;
        var score = Scores(text).ToDictionary(s => s.Id, s => s.Score);
        double max = positions.Max(i => score[text.InputIds[i]]);
        var weights = positions.Select(i => max - score[text.InputIds[i]]).ToArray();
        double sum = weights.Sum();
        for (int k = 0; k < positions.Length; k++)
        {
            double p = sum > 0 ? Math.Min(1, rate * positions.Length * weights[k] / sum) : rate;
            if (p > 0 && random.NextDouble() < p) changes[positions[k]] = random.NextDouble() < deletionShare ? Deleted : Draw(random);
        }
        return changes;
    }

    /// <summary>Augmented copies of every text, reproducible for a seed.</summary>
    public EncodedText[] AugmentAll(IReadOnlyList<EncodedText> texts, double rate, double deletionShare, int seed)
    {
        var random = new Random(seed);
        return texts.Select(t => Augment(t, rate, deletionShare, random)).ToArray();
    }

    /// <summary>The probability that a replacement is <paramref name="id"/> (0 for a piece the corpus lacks).</summary>
    internal double ReplacementProbability(int id)
    {
        int i = Array.BinarySearch(_replacements, id);
        return i < 0 ? 0 : (_cumulative[i] - (i == 0 ? 0 : _cumulative[i - 1])) / _cumulative[^1];
    }

    private IEnumerable<int> Pieces(EncodedText text) => text.InputIds.Where(id => !_special.Contains(id));

    /// <summary>TF-IDF of each distinct piece of a text (TF = share of the text's pieces).</summary>
    private IEnumerable<(int Id, double Score)> Scores(EncodedText text)
    {
        var pieces = Pieces(text).ToArray();
        return pieces.GroupBy(id => id).Select(g => (g.Key, (double)g.Count() / pieces.Length * _idf.GetValueOrDefault(g.Key, 0)));
    }

    private int Draw(Random random)
    {
        double u = random.NextDouble() * _cumulative[^1];
        int index = Array.BinarySearch(_cumulative, u);
        return _replacements[index < 0 ? Math.Min(~index, _replacements.Length - 1) : index];
    }
}
