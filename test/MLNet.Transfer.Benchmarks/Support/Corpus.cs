namespace MLNet.Transfer.Benchmarks.Support;

/// <summary>
/// Real sentences from ../shared/data (found by walking up from the output folder), or synthetic ones when the
/// folder is absent (a user's clone), so every comparison still runs.
/// </summary>
internal sealed class Corpus
{
    private Corpus(string source, bool isReal, IReadOnlyList<string> sentences, IReadOnlyList<string> embedSet)
    {
        Source = source;
        IsReal = isReal;
        Sentences = sentences;
        EmbedSet = embedSet;
    }

    /// <summary>Where the text came from (the data folder, or "synthetic").</summary>
    public string Source { get; }

    /// <summary>False when the sentences are synthetic.</summary>
    public bool IsReal { get; }

    /// <summary>
    /// 20,000 mixed real texts: movie-review snippets, UCI review sentences, SST-2 dev, banking77 queries,
    /// AG News articles and SemEval tweets, in that order.
    /// </summary>
    public IReadOnlyList<string> Sentences { get; }

    /// <summary>2,000 sentences of mixed length: SST-2 dev (872) then UCI yelp/amazon/imdb (376 each).</summary>
    public IReadOnlyList<string> EmbedSet { get; }

    public const int SentenceCount = 20_000;
    public const int EmbedSetCount = 2_000;

    public static Corpus Load()
    {
        string? data = FindDataDirectory();
        return data is null ? Synthetic() : Real(data);
    }

    /// <summary>The first ancestor of the output folder holding shared/data, or null.</summary>
    public static string? FindDataDirectory()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            string candidate = Path.Combine(directory.FullName, "shared", "data");
            if (File.Exists(Path.Combine(candidate, "sst2", "dev.tsv")))
                return candidate;
        }
        return null;
    }

    private static Corpus Real(string data)
    {
        IEnumerable<string> Texts(string file) =>
            File.ReadLines(Path.Combine(data, file)).Skip(1).Select(l => l[(l.IndexOf('\t') + 1)..]);

        string[] uci = ["sentiment-uci/yelp.tsv", "sentiment-uci/amazon.tsv", "sentiment-uci/imdb.tsv"];
        var sentences = File.ReadLines(Path.Combine(data, "unlabelled", "rt-snippets.txt"))
            .Concat(uci.SelectMany(Texts))
            .Concat(Texts("sst2/dev.tsv"))
            .Concat(Texts("banking77/test.tsv"))
            .Concat(Texts("agnews/test.tsv"))
            .Concat(Texts("irony-semeval2018/train.tsv"))
            .Where(s => s.Length > 0)
            .Take(SentenceCount)
            .ToArray();
        var embedSet = Texts("sst2/dev.tsv")
            .Concat(uci.SelectMany(f => Texts(f).Take(376)))
            .Take(EmbedSetCount)
            .ToArray();
        return new Corpus(data, true, sentences, embedSet);
    }

    private static Corpus Synthetic()
    {
        string[] words =
        [
            "the", "a", "movie", "film", "story", "is", "was", "not", "very", "really", "good", "bad", "great", "boring",
            "acting", "plot", "characters", "and", "but", "with", "an", "ending", "funny", "slow", "of", "to", "it",
            "i", "loved", "hated", "service", "food", "phone", "battery", "works", "broke", "after", "two", "days", "!",
            ",", ".", "surprisingly", "predictable", "charming", "director", "performance", "camera", "card", "transfer",
        ];
        var random = new Random(42);
        string Sentence()
        {
            int length = random.Next(3, 60);
            return string.Join(' ', Enumerable.Range(0, length).Select(_ => words[random.Next(words.Length)]));
        }
        var sentences = Enumerable.Range(0, SentenceCount).Select(_ => Sentence()).ToArray();
        return new Corpus("synthetic", false, sentences, sentences[..EmbedSetCount]);
    }
}
