using MLNet.Transfer.Text;

namespace MLNet.Transfer.Benchmarks.Support;

/// <summary>
/// Real texts encoding to exactly N tokens ([CLS] and [SEP] included), so batches need no padding: first
/// corpus sentences of exactly that length, then (when there are too few, e.g. for 256) consecutive sentences
/// joined until long enough and cut at N tokens.
/// </summary>
internal static class FixedLengthTexts
{
    public static (EncodedText[] Items, string[] Texts, int Exact) Build(BertWordPieceTokenizer tokenizer, IReadOnlyList<string> sentences, int tokens, int count)
    {
        var items = new List<EncodedText>(count);
        var texts = new List<string>(count);
        foreach (string sentence in sentences)
        {
            var encoded = tokenizer.Encode(sentence, tokens + 1);
            if (encoded.Length != tokens) continue;
            items.Add(encoded);
            texts.Add(sentence);
            if (items.Count == count) return ([.. items], [.. texts], count);
        }
        int exact = items.Count;
        var joined = new List<string>();
        foreach (string sentence in sentences)
        {
            joined.Add(sentence);
            string text = string.Join(' ', joined);
            var encoded = tokenizer.Encode(text, tokens);
            if (encoded.Length < tokens) continue;
            items.Add(encoded);
            texts.Add(text);
            joined.Clear();
            if (items.Count == count) return ([.. items], [.. texts], exact);
        }
        throw new InvalidOperationException($"The corpus is too small for {count} texts of {tokens} tokens.");
    }
}
