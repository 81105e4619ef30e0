using MLNet.Transfer.Text;
using MLNet.Transfer.Text.Tagging;

namespace MLNet.Transfer.Training.Tagging;

/// <summary>One window of a tagged sentence with the tag index of each word it owns.</summary>
/// <param name="Window">The window (tokens, owned words' first pieces).</param>
/// <param name="Tags">Tag index (into the tag set) of each owned word.</param>
/// <param name="Sentence">Index of the sentence among those given (skipped empty sentences keep their index).</param>
public sealed record TaggedWindow(TaggingWindow Window, int[] Tags, int Sentence)
{
    /// <summary>
    /// The windows of every sentence (<see cref="WordPieceAlignment.Windows"/>, labels on first pieces) with their owned
    /// words' tag indices in <paramref name="tagSet"/>. Empty sentences give no window.
    /// </summary>
    /// <exception cref="ArgumentException">A sentence has more tokens than tags or the reverse.</exception>
    /// <exception cref="InvalidDataException">A tag is not in the tag set (the message names the line).</exception>
    public static List<TaggedWindow> From(BertWordPieceTokenizer tokenizer, IReadOnlyList<TaggedSentence> sentences, IReadOnlyList<string> tagSet, int maxTokens)
    {
        var tagIndex = tagSet.Select((t, i) => (t, i)).ToDictionary(p => p.t, p => p.i, StringComparer.Ordinal);
        var windows = new List<TaggedWindow>(sentences.Count);
        for (int n = 0; n < sentences.Count; n++)
        {
            var s = sentences[n];
            if (s.Tokens.Length != s.Tags.Length) throw new ArgumentException($"Sentence at line {s.Line} has {s.Tokens.Length} tokens but {s.Tags.Length} tags.");
            if (s.Tokens.Length == 0) continue;
            var indices = new int[s.Tags.Length];
            for (int w = 0; w < indices.Length; w++)
                indices[w] = tagIndex.TryGetValue(s.Tags[w], out int t) ? t
                    : throw new InvalidDataException($"Line {s.Line + w}: tag '{s.Tags[w]}' is not in the model's tag set ({string.Join(", ", tagSet)}).");
            foreach (var window in WordPieceAlignment.Windows(tokenizer, s.Tokens, maxTokens))
                windows.Add(new TaggedWindow(window, indices.AsSpan(window.FirstWord, window.OwnedWords).ToArray(), n));
        }
        return windows;
    }
}
