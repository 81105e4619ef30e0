namespace MLNet.Transfer.Tests;

/// <summary>Finds data files shipped inside the repository (its data/ folder), so tests using them run on a fresh clone alone.</summary>
internal static class RepoData
{
    /// <summary>Path of a file under the repository's data/ folder, found walking up from the test output folder; fails the test when it is absent.</summary>
    public static string Path(params string[] parts)
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            string candidate = System.IO.Path.Combine([directory.FullName, "data", .. parts]);
            if (File.Exists(candidate))
                return candidate;
        }
        Assert.Fail($"Repository data file data/{string.Join('/', parts)} not found above {AppContext.BaseDirectory} (it ships with the repository).");
        return null!;
    }

    /// <summary>One of the shipped UCI sentiment files (data/sentiment-uci/{site}.tsv: yelp, amazon or imdb; header Label, Text).</summary>
    public static string Uci(string site) => Path("sentiment-uci", $"{site}.tsv");
}
