namespace SemanticSearch;

/// <summary>Texts with an optional label each (a data set's class, or the file a text came from), read from the examples' data files.</summary>
public sealed record LabelledCorpus(string[] Texts, string[] Labels)
{
    /// <summary>
    /// Reads <paramref name="path"/>: a .tsv with a header and <c>Label&lt;TAB&gt;Text</c> rows (split on the first tab, as
    /// every data set in data/ and ../shared/data), or any other file as one text per line (label: the file name).
    /// </summary>
    public static LabelledCorpus Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Corpus file '{path}' not found.", path);
        string name = Path.GetFileName(path);
        if (!path.EndsWith(".tsv", StringComparison.OrdinalIgnoreCase))
        {
            var lines = File.ReadLines(path).Where(l => !string.IsNullOrWhiteSpace(l)).ToArray();
            return new LabelledCorpus(lines, [.. lines.Select(_ => name)]);
        }
        var rows = File.ReadLines(path).Skip(1).Where(l => l.Contains('\t')).Select(l => l.Split('\t', 2)).ToArray();
        return new LabelledCorpus([.. rows.Select(r => r[1])], [.. rows.Select(r => r[0])]);
    }

    /// <summary>Several files as one corpus, in order.</summary>
    public static LabelledCorpus Concat(IEnumerable<LabelledCorpus> parts)
    {
        var list = parts.ToList();
        return new LabelledCorpus([.. list.SelectMany(p => p.Texts)], [.. list.SelectMany(p => p.Labels)]);
    }

    /// <summary>Number of texts.</summary>
    public int Count => Texts.Length;

    /// <summary>At most <paramref name="count"/> rows spread evenly over the corpus (every class keeps a share when rows are grouped by class); all rows if null.</summary>
    public LabelledCorpus Spread(int? count)
    {
        if (count is not int n || n >= Count) return this;
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        int[] rows = [.. Enumerable.Range(0, n).Select(i => (int)((long)i * Count / n))];
        return new LabelledCorpus([.. rows.Select(r => Texts[r])], [.. rows.Select(r => Labels[r])]);
    }
}
