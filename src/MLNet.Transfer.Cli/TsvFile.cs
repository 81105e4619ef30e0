namespace MLNet.Transfer.Cli;

/// <summary>
/// A tab-separated file with a header row, read with checks that name the file, line and column. Fields never
/// need quoting: each line is split on tabs into as many fields as the header has (the last keeps any extra tabs).
/// </summary>
public sealed class TsvFile
{
    private TsvFile(string path, string[] header, List<string[]> rows)
    {
        Path = path;
        Header = header;
        Rows = rows;
    }

    /// <summary>File path.</summary>
    public string Path { get; }
    /// <summary>Column names.</summary>
    public string[] Header { get; }
    /// <summary>Data rows (line n of the file is Rows[n - 2]).</summary>
    public List<string[]> Rows { get; }

    /// <summary>Reads and checks a file.</summary>
    public static TsvFile Read(string path)
    {
        if (!File.Exists(path)) throw new CliException($"Data file '{path}' does not exist.");
        using var reader = new StreamReader(path, detectEncodingFromByteOrderMarks: true);
        string? first = reader.ReadLine();
        if (string.IsNullOrWhiteSpace(first)) throw new CliException($"Data file '{path}' is empty (expected a header row such as 'Label<TAB>Text').");
        var header = first.Split('\t').Select(h => h.Trim()).ToArray();
        var rows = new List<string[]>();
        int lineNumber = 1;
        for (string? line = reader.ReadLine(); line is not null; line = reader.ReadLine())
        {
            lineNumber++;
            if (line.Length == 0) continue;
            var fields = line.Split('\t', header.Length);
            if (fields.Length < header.Length)
                throw new CliException($"{path} line {lineNumber}: {fields.Length} field(s) but the header has {header.Length} ({string.Join(", ", header)}).");
            rows.Add(fields);
        }
        if (rows.Count == 0) throw new CliException($"Data file '{path}' has a header but no rows.");
        return new TsvFile(path, header, rows);
    }

    /// <summary>Index of column <paramref name="name"/>; an error lists the columns that exist.</summary>
    public int Column(string name, string option)
    {
        int index = Array.IndexOf(Header, name);
        if (index < 0) throw new CliException($"{Path}: no column '{name}' (given by --{option}); columns are {string.Join(", ", Header)}.");
        return index;
    }
}
