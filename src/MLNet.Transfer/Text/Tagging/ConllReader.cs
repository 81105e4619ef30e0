namespace MLNet.Transfer.Text.Tagging;

/// <summary>One sentence of a CoNLL file: its words, their tags (same length), and the 1-based line of its first word.</summary>
/// <param name="Tokens">The words, in the source's own tokenization.</param>
/// <param name="Tags">One tag per word (e.g. "B-person", "O", "NOUN").</param>
/// <param name="Line">Line number of the first word in the source, for error messages (0 when not from a file).</param>
public sealed record TaggedSentence(string[] Tokens, string[] Tags, int Line = 0);

/// <summary>
/// Reads CoNLL-style tagging data: UTF-8, one word per line as <c>token&lt;TAB&gt;tag</c>, a blank line between
/// sentences, no header. Malformed input fails with an <see cref="InvalidDataException"/> naming the file and line.
/// </summary>
public static class ConllReader
{
    /// <summary>Reads every sentence of the file at <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">A line without exactly one tab, an empty token or tag, or no sentence at all ("path:line: reason").</exception>
    public static IReadOnlyList<TaggedSentence> ReadFile(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"CoNLL file '{path}' does not exist.", path);
        using var reader = new StreamReader(path, System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return Read(reader, path);
    }

    /// <summary>Reads every sentence from <paramref name="reader"/>; <paramref name="source"/> names it in error messages.</summary>
    /// <exception cref="InvalidDataException">Malformed input ("source:line: reason").</exception>
    public static IReadOnlyList<TaggedSentence> Read(TextReader reader, string source = "input")
    {
        ArgumentNullException.ThrowIfNull(reader);
        var sentences = new List<TaggedSentence>();
        var tokens = new List<string>();
        var tags = new List<string>();
        int lineNumber = 0, first = 0;
        void Flush()
        {
            if (tokens.Count > 0) sentences.Add(new TaggedSentence(tokens.ToArray(), tags.ToArray(), first));
            tokens.Clear();
            tags.Clear();
        }
        for (string? line = reader.ReadLine(); line is not null; line = reader.ReadLine())
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) { Flush(); continue; }
            int tab = line.IndexOf('\t');
            if (tab < 0)
                throw new InvalidDataException($"{source}:{lineNumber}: expected 'token<TAB>tag' but the line has no tab: '{Shorten(line)}'.");
            if (line.IndexOf('\t', tab + 1) >= 0)
                throw new InvalidDataException($"{source}:{lineNumber}: expected 'token<TAB>tag' but the line has more than one tab: '{Shorten(line)}'.");
            string token = line[..tab], tag = line[(tab + 1)..].Trim();
            if (token.Length == 0) throw new InvalidDataException($"{source}:{lineNumber}: the token (before the tab) is empty.");
            if (tag.Length == 0) throw new InvalidDataException($"{source}:{lineNumber}: the tag (after the tab) is empty.");
            if (tokens.Count == 0) first = lineNumber;
            tokens.Add(token);
            tags.Add(tag);
        }
        Flush();
        if (sentences.Count == 0)
            throw new InvalidDataException($"{source}:{lineNumber}: no sentences (the file is empty or has only blank lines); expected 'token<TAB>tag' lines.");
        return sentences;
    }

    /// <summary>Writes sentences in the same format (a blank line after each sentence).</summary>
    public static void Write(TextWriter writer, IEnumerable<TaggedSentence> sentences)
    {
        foreach (var s in sentences)
        {
            for (int i = 0; i < s.Tokens.Length; i++) writer.Write($"{s.Tokens[i]}\t{s.Tags[i]}\n");
            writer.Write('\n');
        }
    }

    private static string Shorten(string line) => line.Length <= 60 ? line : line[..57] + "...";
}
