using System.Text;

namespace MLNet.Transfer.Text;

/// <summary>
/// The WordPiece vocab.txt format: one token per line, the line number (from 0) is the id. Read exactly as
/// Microsoft.ML.Tokenizers reads it (StreamReader lines, UTF-8, BOM detected) so ids agree; an empty line is
/// an id with no token.
/// </summary>
internal static class VocabularyText
{
    /// <summary>Reads all lines of a vocab.txt stream; the stream is left open.</summary>
    public static string[] Read(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var tokens = new List<string>(32_000);
        using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, leaveOpen: true);
        while (reader.ReadLine() is { } line)
            tokens.Add(line);
        return tokens.ToArray();
    }

    /// <summary>Writes one token per line (UTF-8, no BOM, '\n' line ends); the stream is left open.</summary>
    public static void Write(IReadOnlyList<string> tokens, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var writer = new StreamWriter(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), 1 << 16, leaveOpen: true)
        {
            NewLine = "\n",
        };
        foreach (string token in tokens)
            writer.WriteLine(token);
    }

    /// <summary>
    /// Checks that the tokens can be written one per line and have no duplicates; returns the token → id map.
    /// </summary>
    public static Dictionary<string, int> Index(IReadOnlyList<string> tokens)
    {
        if (tokens.Count == 0)
            throw new ArgumentException("The vocabulary is empty.", nameof(tokens));
        var index = new Dictionary<string, int>(tokens.Count, StringComparer.Ordinal);
        for (int id = 0; id < tokens.Count; id++)
        {
            string token = tokens[id] ?? throw new ArgumentException($"Vocabulary entry {id} is null.", nameof(tokens));
            if (token.Length == 0)
                continue;
            if (token.AsSpan().IndexOfAny('\r', '\n') >= 0)
                throw new ArgumentException($"Vocabulary entry {id} contains a line break.", nameof(tokens));
            if (!index.TryAdd(token, id))
                throw new ArgumentException(
                    $"The vocabulary repeats the token '{token}' (ids {index[token]} and {id}); each token must appear once.", nameof(tokens));
        }
        return index;
    }
}
