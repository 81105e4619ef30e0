/// <summary>Finds the examples' data by walking up from the program's folder: the repository's data/ and ../shared/data.</summary>
public static class DataFiles
{
    /// <summary>The nearest existing file or folder at <paramref name="relativePath"/> (e.g. "shared/data/sst2") above the program's folder.</summary>
    /// <exception cref="FileNotFoundException">Nothing found: the example runs outside the repository or without ../shared.</exception>
    public static string Find(string relativePath)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, relativePath);
            if (File.Exists(candidate) || Directory.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException($"{relativePath} not found above {AppContext.BaseDirectory}: run the example from the repository " +
                                        "(shared data sets need ../shared next to it).", relativePath);
    }
}
