using System.Text.RegularExpressions;

namespace MLNet.Transfer.Text.Tagging;

/// <summary>One sentence of a CoNLL file: its words, their tags (same length), and the 1-based line of its first word.</summary>
/// <param name="Tokens">The words, in the source's own tokenization.</param>
/// <param name="Tags">One tag per word (e.g. "B-person", "O", "NOUN").</param>
/// <param name="Line">Line number of the first word in the source, for error messages (0 when not from a file).</param>
public sealed record TaggedSentence(string[] Tokens, string[] Tags, int Line = 0);

/// <summary>
/// Reads CoNLL-style tagging data: UTF-8, one word per line, a blank line between sentences, no header. The usual form is
/// <c>token&lt;TAB&gt;tag</c>; the common variants read as their tools do: several columns (tab- or space-separated, as in
/// CoNLL-2003's <c>word POS chunk NER</c>) take the first as the word and the last as the tag, <c>-DOCSTART-</c> lines end
/// a sentence, and CoNLL-U (ten tab-separated columns, numbered words) takes FORM and UPOS, skipping <c>#</c> comments,
/// multi-word token ranges and empty nodes. Every word line of a file must have the same columns as its first one.
/// Malformed input fails with an <see cref="InvalidDataException"/> naming the file and line.
/// </summary>
public static partial class ConllReader
{
    /// <summary>Reads every sentence of the file at <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">A line with fewer than two columns or other columns than the file's first word line, an empty token or tag, or no sentence at all ("path:line: reason").</exception>
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
        var lines = new List<string>();
        for (string? line = reader.ReadLine(); line is not null; line = reader.ReadLine()) lines.Add(line);
        // CoNLL-U is told by its word lines, not its comments: a tweet's "#" is a word in the other formats.
        bool conllU = lines.Any(IsConllUWord);
        var sentences = new List<TaggedSentence>();
        var tokens = new List<string>();
        var tags = new List<string>();
        int first = 0, columns = 0, columnsLine = 0; // columns 0: no word line yet
        bool tabs = false;
        void Flush()
        {
            if (tokens.Count > 0) sentences.Add(new TaggedSentence(tokens.ToArray(), tags.ToArray(), first));
            tokens.Clear();
            tags.Clear();
        }
        for (int index = 0; index < lines.Count; index++)
        {
            string line = lines[index];
            int lineNumber = index + 1;
            if (string.IsNullOrWhiteSpace(line) || line.StartsWith("-DOCSTART-", StringComparison.Ordinal)) { Flush(); continue; }
            if (conllU && line.StartsWith('#')) continue;
            if (columns == 0) tabs = line.Contains('\t'); // the file's first word line decides the separator
            if (tabs && !line.Contains('\t'))
                throw new InvalidDataException($"{source}:{lineNumber}: expected 'token<TAB>tag' but the line has no tab: '{Shorten(line)}'.");
            string[] fields = tabs ? line.Split('\t') : line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 2)
                throw new InvalidDataException($"{source}:{lineNumber}: expected 'token<TAB>tag' but the line has only one column: '{Shorten(line)}'.");
            if (columns == 0) (columns, columnsLine) = (fields.Length, lineNumber);
            else if (fields.Length != columns)
                throw new InvalidDataException($"{source}:{lineNumber}: the line has {fields.Length} columns but the file's first word line ({columnsLine}) has {columns}: '{Shorten(line)}'.");
            string token, tag;
            if (conllU)
            {
                if (!fields[0].All(char.IsAsciiDigit)) continue;   // "3-4" (a multi-word token's range) or "8.1" (an empty node)
                (token, tag) = (fields[1], fields[3].Trim());
            }
            else (token, tag) = (fields[0], fields[^1].Trim());
            if (token.Length == 0) throw new InvalidDataException($"{source}:{lineNumber}: the token ({(conllU ? "FORM, the second column" : "the first column")}) is empty.");
            if (tag.Length == 0) throw new InvalidDataException($"{source}:{lineNumber}: the tag ({(conllU ? "UPOS, the fourth column" : "the last column")}) is empty.");
            if (tokens.Count == 0) first = lineNumber;
            tokens.Add(token);
            tags.Add(tag);
        }
        Flush();
        if (sentences.Count == 0)
            throw new InvalidDataException($"{source}:{lines.Count}: no sentences (the file is empty or has only blank lines); expected 'token<TAB>tag' lines.");
        return sentences;
    }

    /// <summary>Writes sentences as <c>token&lt;TAB&gt;tag</c> lines (a blank line after each sentence).</summary>
    public static void Write(TextWriter writer, IEnumerable<TaggedSentence> sentences)
    {
        foreach (var s in sentences)
        {
            for (int i = 0; i < s.Tokens.Length; i++) writer.Write($"{s.Tokens[i]}\t{s.Tags[i]}\n");
            writer.Write('\n');
        }
    }

    /// <summary>A CoNLL-U word line: ten tab-separated columns, the first a word number ("1"), range ("1-2") or empty node ("1.1").</summary>
    private static bool IsConllUWord(string line) => line.Count(c => c == '\t') == 9 && ConllUId().IsMatch(line[..line.IndexOf('\t')]);

    [GeneratedRegex(@"^\d+([-.]\d+)?$")]
    private static partial Regex ConllUId();

    private static string Shorten(string line) => line.Length <= 60 ? line : line[..57] + "...";
}
