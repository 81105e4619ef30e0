using Microsoft.ML;

/// <summary>The UCI sentiment sentences shipped in the repository's data/sentiment-uci, for the examples.</summary>
public static class UciSentences
{
    /// <summary>Loads the given site files (e.g. "yelp.tsv") as <see cref="Review"/> rows.</summary>
    public static IDataView Load(MLContext mlContext, params string[] files)
    {
        string data = Folder();
        return mlContext.Data.LoadFromEnumerable(
            files.SelectMany(f => File.ReadLines(Path.Combine(data, f)).Skip(1))
                 .Select(line => line.Split('\t', 2))
                 .Select(p => new Review { Label = p[0] == "1", Text = p[1] }).ToList());
    }

    private static string Folder() => DataFiles.Find(Path.Combine("data", "sentiment-uci"));
}

/// <summary>One labelled review sentence.</summary>
public sealed class Review
{
    /// <summary>True = positive.</summary>
    public bool Label { get; set; }
    /// <summary>The sentence.</summary>
    public string Text { get; set; } = "";
}
