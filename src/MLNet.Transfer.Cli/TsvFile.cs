namespace MLNet.Transfer.Cli;

/// <summary>
/// A delimited text file with a header row, read with checks that name the file, line and column. Tab-separated (the
/// default) fields never need quoting: each line is split on tabs into as many fields as the header has (the last keeps
/// any extra tabs). With another separator (e.g. <c>--separator ,</c>) fields follow RFC 4180: a field in double quotes
/// may hold the separator, line breaks and doubled quotes ("").
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
    /// <summary>Data rows.</summary>
    public List<string[]> Rows { get; }

    /// <summary>The declaration of --separator (train and evaluate).</summary>
    public static CliOption SeparatorOption { get; } = CliOption.Value("separator", "C",
        "Data files are tab-separated with a header row; --separator , (or ;) reads CSV with RFC 4180 quoting (quoted fields may "
        + "hold the separator, line breaks and \"\" for a quote). 'tab' or '\\t' name the default.", "tab");

    /// <summary>The <c>--separator</c> option: one character, or "tab" / "\t"; default tab.</summary>
    public static char Separator(CliArguments args) => args.Optional("separator") switch
    {
        null or "tab" or "\\t" or "\t" => '\t',
        { Length: 1 } c when c[0] is not ('"' or '\r' or '\n') => c[0],
        var other => throw new CliException($"--separator must be one character (e.g. ',' or ';') or 'tab'; got '{other}'."),
    };

    /// <summary>Reads and checks a file.</summary>
    public static TsvFile Read(string path, char separator = '\t')
    {
        if (!File.Exists(path)) throw new CliException($"Data file '{path}' does not exist.");
        using var reader = new StreamReader(path, detectEncodingFromByteOrderMarks: true);
        using var records = (separator == '\t' ? TabRecords(reader) : DelimitedRecords.Read(reader, separator, path)).GetEnumerator();
        if (!records.MoveNext() || records.Current.Fields is [var only] && string.IsNullOrWhiteSpace(only))
            throw new CliException($"Data file '{path}' is empty (expected a header row such as 'Label{(separator == '\t' ? "<TAB>" : separator)}Text').");
        var header = records.Current.Fields.Select(h => h.Trim()).ToArray();
        var rows = new List<string[]>();
        while (records.MoveNext())
        {
            var (line, fields) = records.Current;
            if (fields is [""]) continue; // a blank line
            if (fields.Length < header.Length || (separator != '\t' && fields.Length > header.Length))
                throw new CliException($"{path} line {line}: {fields.Length} field(s) but the header has {header.Length} ({string.Join(", ", header)}).");
            rows.Add(fields);
        }
        if (rows.Count == 0) throw new CliException($"Data file '{path}' has a header but no rows.");
        return new TsvFile(path, header, rows);

        IEnumerable<(int Line, string[] Fields)> TabRecords(TextReader text)
        {
            int lineNumber = 0, width = int.MaxValue;
            for (string? line = text.ReadLine(); line is not null; line = text.ReadLine())
            {
                var fields = line.Split('\t', width);
                if (lineNumber++ == 0) width = fields.Length;
                yield return (lineNumber, fields);
            }
        }
    }

    /// <summary>Index of column <paramref name="name"/>; an error lists the columns that exist.</summary>
    public int Column(string name, string option)
    {
        int index = Array.IndexOf(Header, name);
        if (index >= 0) return index;
        string hint = Header is [var one] && (one.Contains(',') || one.Contains(';')) ? $" The header looks {(one.Contains(',') ? "comma" : "semicolon")}-separated: add --separator {(one.Contains(',') ? ',' : ';')}." : "";
        throw new CliException($"{Path}: no column '{name}' (given by --{option}); columns are {string.Join(", ", Header)}.{hint}");
    }
}
