namespace MLNet.Transfer.Text.Tagging;

/// <summary>
/// One model input cut from a sentence of words: [CLS] the word pieces of words <see cref="StartWord"/>… [SEP], and the
/// words this window <em>owns</em> — a contiguous run from <see cref="FirstWord"/> whose predictions it supplies (a word
/// shared by two overlapping windows is owned by the one that gives it more context on both sides).
/// </summary>
/// <param name="Tokens">The encoded window.</param>
/// <param name="StartWord">Index of the first word (owned or context) whose pieces are in the window.</param>
/// <param name="FirstWord">Index of the first owned word.</param>
/// <param name="FirstPieces">Position in <paramref name="Tokens"/> of the first word piece of each owned word, in order.</param>
/// <param name="Shapes">The <see cref="WordShape"/> of each owned word, in order.</param>
public sealed record TaggingWindow(EncodedText Tokens, int StartWord, int FirstWord, int[] FirstPieces, int[] Shapes)
{
    /// <summary>Number of words this window owns.</summary>
    public int OwnedWords => FirstPieces.Length;
}

/// <summary>
/// Aligns a sentence's words with the model's word pieces for tagging: each word is labelled on its first piece (other
/// pieces carry no label and are ignored by the loss), and a sentence longer than the token budget is split at word
/// boundaries into overlapping windows that together own every word exactly once — nothing is cut off. Predictions of the
/// windows are stitched back to one tag per word by <see cref="Stitch{T}"/>.
/// </summary>
public static class WordPieceAlignment
{
    /// <summary>
    /// The windows of one sentence. A sentence that fits gives one window owning every word. A single word with more pieces
    /// than the budget keeps its first <paramref name="maxTokens"/> − 2 pieces (its label sits on the first one); a word the
    /// tokenizer drops entirely (e.g. only control characters) becomes [UNK], so every word gets a prediction.
    /// </summary>
    /// <param name="tokenizer">The model's tokenizer.</param>
    /// <param name="words">The sentence's words (at least one).</param>
    /// <param name="maxTokens">Tokens per window including [CLS] and [SEP] (at least 3).</param>
    public static IReadOnlyList<TaggingWindow> Windows(BertWordPieceTokenizer tokenizer, IReadOnlyList<string> words, int maxTokens)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(words);
        if (maxTokens < 3) throw new ArgumentOutOfRangeException(nameof(maxTokens), maxTokens, "maxTokens must be at least 3 ([CLS], one piece, [SEP]).");
        if (words.Count == 0) throw new ArgumentException("A sentence needs at least one word.", nameof(words));
        int budget = maxTokens - 2;
        var pieces = new int[words.Count][];
        for (int w = 0; w < words.Count; w++)
        {
            var p = tokenizer.EncodeWordPieces(words[w] ?? throw new ArgumentException($"Word {w} is null.", nameof(words)));
            pieces[w] = p.Length == 0 ? [tokenizer.UnkId] : p.Length > budget ? p[..budget] : p;
        }
        var ranges = Ranges(pieces.Select(p => p.Length).ToArray(), budget);
        var owner = Owners(ranges, words.Count);
        var windows = new List<TaggingWindow>(ranges.Count);
        for (int k = 0; k < ranges.Count; k++)
        {
            var (start, end) = ranges[k];
            var ids = new List<int>(budget + 2) { tokenizer.ClsId };
            var firsts = new List<int>();
            var shapes = new List<int>();
            int firstOwned = -1;
            for (int w = start; w < end; w++)
            {
                if (owner[w] == k)
                {
                    if (firstOwned < 0) firstOwned = w;
                    firsts.Add(ids.Count);
                    shapes.Add(WordShape.Of(words[w]));
                }
                ids.AddRange(pieces[w]);
            }
            ids.Add(tokenizer.SepId);
            if (firstOwned < 0) continue; // a window whose words are all better served by its neighbours
            var array = ids.ToArray();
            windows.Add(new TaggingWindow(new EncodedText(array, new int[array.Length]), start, firstOwned, firsts.ToArray(), shapes.ToArray()));
        }
        return windows;
    }

    /// <summary>
    /// Word ranges [start, end) of the windows for words of <paramref name="lengths"/> pieces each (every length ≤ budget):
    /// greedy windows that fill the budget, each next one starting so that about half a budget of context overlaps.
    /// </summary>
    internal static List<(int Start, int End)> Ranges(int[] lengths, int budget)
    {
        var ranges = new List<(int, int)>();
        int n = lengths.Length, start = 0;
        while (true)
        {
            int end = start, used = 0;
            while (end < n && used + lengths[end] <= budget) used += lengths[end++];
            ranges.Add((start, end));
            if (end >= n) return ranges;
            int next = end, overlap = 0;
            while (next - 1 > start && overlap + lengths[next - 1] <= budget / 2) overlap += lengths[--next];
            start = next;
        }
    }

    /// <summary>For each word, the window that owns it: the one giving it the most context on its poorer side (earliest on ties), made non-decreasing.</summary>
    private static int[] Owners(List<(int Start, int End)> ranges, int words)
    {
        var owner = new int[words];
        for (int w = 0; w < words; w++)
        {
            int best = -1, bestContext = -1;
            for (int k = 0; k < ranges.Count; k++)
            {
                var (s, e) = ranges[k];
                if (w < s || w >= e) continue;
                int context = Math.Min(w - s, e - 1 - w);
                if (context > bestContext) (best, bestContext) = (k, context);
            }
            owner[w] = w > 0 ? Math.Max(best, owner[w - 1]) : best;
        }
        return owner;
    }

    /// <summary>
    /// One value per word from per-window values per owned word (e.g. predicted tags), in sentence order.
    /// </summary>
    /// <param name="windows">The windows of one sentence, as <see cref="Windows"/> returned them.</param>
    /// <param name="perWindow">For each window, one value per owned word.</param>
    /// <param name="words">The sentence's word count.</param>
    public static T[] Stitch<T>(IReadOnlyList<TaggingWindow> windows, IReadOnlyList<T[]> perWindow, int words)
    {
        var result = new T[words];
        var filled = new bool[words];
        for (int k = 0; k < windows.Count; k++)
        {
            if (perWindow[k].Length != windows[k].OwnedWords)
                throw new ArgumentException($"Window {k} owns {windows[k].OwnedWords} words but {perWindow[k].Length} values were given.", nameof(perWindow));
            for (int i = 0; i < perWindow[k].Length; i++)
            {
                int w = windows[k].FirstWord + i;
                if (filled[w]) throw new InvalidOperationException($"Word {w} is owned by two windows.");
                result[w] = perWindow[k][i];
                filled[w] = true;
            }
        }
        int missing = Array.IndexOf(filled, false);
        if (missing >= 0) throw new InvalidOperationException($"Word {missing} is owned by no window.");
        return result;
    }
}
