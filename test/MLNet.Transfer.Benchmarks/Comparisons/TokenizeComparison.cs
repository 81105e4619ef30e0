using MLNet.Transfer.Benchmarks.Quick;
using MLNet.Transfer.Checkpoints;
using MLNet.Transfer.Text;

namespace MLNet.Transfer.Benchmarks.Comparisons;

/// <summary>
/// tokenize-vs-fastberttokenizer: sentences/s of <see cref="BertWordPieceTokenizer.Encode"/> against
/// FastBertTokenizer on the same 20,000 real sentences, same vocab.txt (read from the embedded model, loaded with
/// FastBertTokenizer's offline LoadVocabulary), same 256-token budget, one thread each.
/// </summary>
internal sealed class TokenizeComparison : IComparison
{
    public const int MaxTokens = 256;

    public string Name => "tokenize-vs-fastberttokenizer";

    public IEnumerable<ComparisonResult> Run(BenchContext context)
    {
        var ours = context.Encoder.Tokenizer;
        var reference = LoadFastBert();
        var sentences = context.Corpus.Sentences;

        int mismatches = CountMismatches(ours, reference, sentences, out string? example);
        if (mismatches > 0)
            context.Note($"{Name}: ids differ from FastBertTokenizer on {mismatches} of {sentences.Count} sentences (e.g. \"{example}\").");

        var (oursRate, referenceRate) = Interleaved.Measure(
            () => { foreach (string s in sentences) ours.Encode(s, MaxTokens); return sentences.Count; },
            () => { foreach (string s in sentences) reference.Encode(s, MaxTokens); return sentences.Count; },
            context.Measure);
        context.Log.WriteLine($"  {Name}: {mismatches} id mismatches; median ours {oursRate.Median:F0}, FastBertTokenizer {referenceRate.Median:F0} sentences/s");
        yield return new ComparisonResult(Name, oursRate.Pick(context.Measure), referenceRate.Pick(context.Measure), "sentences/s");
    }

    /// <summary>FastBertTokenizer with the embedded model's vocab.txt, loaded from memory (LoadVocabulary never downloads).</summary>
    public static FastBertTokenizer.BertTokenizer LoadFastBert(string model = BenchContext.ModelName)
    {
        var tokenizer = new FastBertTokenizer.BertTokenizer();
        using var vocab = new StreamReader(new MemoryStream(EmbeddedModelFiles.Find(model).ReadVocab()));
        tokenizer.LoadVocabulary(vocab, convertInputToLowercase: true);
        return tokenizer;
    }

    private static int CountMismatches(BertWordPieceTokenizer ours, FastBertTokenizer.BertTokenizer reference, IReadOnlyList<string> sentences, out string? example)
    {
        int mismatches = 0;
        example = null;
        foreach (string s in sentences)
        {
            var mine = ours.Encode(s, MaxTokens).InputIds;
            var (theirs, _, _) = reference.Encode(s, MaxTokens);
            var span = theirs.Span;
            bool same = span.Length == mine.Length;
            for (int i = 0; same && i < mine.Length; i++) same = span[i] == mine[i];
            if (same) continue;
            mismatches++;
            example ??= s.Length > 80 ? s[..80] + "…" : s;
        }
        return mismatches;
    }
}
