using MLNet.Transfer.Benchmarks.Quick;
using MLNet.Transfer.Benchmarks.Support;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.Inference;
using MLNet.Transfer.Text;

namespace MLNet.Transfer.Benchmarks.Comparisons;

/// <summary>
/// embed-2000-sentences-vs-ort: our embedder on the default engine (what <c>ApplyContextualEmbeddings</c> runs: tokenization,
/// length bucketing, batch 32, mean pooling; <c>InferenceEngine.Auto</c>) on 2,000 real sentences of mixed length, against ONNX Runtime fed the same way: our
/// tokenizer, <see cref="LengthBatching.Batches"/> with batch 32, padding per batch, C# mean pooling. Two rows:
/// sentences/s and real (non-padding) tokens/s.
/// </summary>
internal sealed class EmbedCorpusComparison : IComparison
{
    private const int BatchSize = 32;

    public string Name => "embed-2000-sentences-vs-ort";

    public IEnumerable<ComparisonResult> Run(BenchContext context)
    {
        var encoder = context.Encoder;
        var ort = context.Ort;
        var texts = context.Corpus.EmbedSet;
        var settings = new EmbeddingSettings { BatchSize = BatchSize };
        int maxTokens = settings.EffectiveMaxTokens(encoder.Model);
        long tokens = texts.Sum(t => (long)encoder.Tokenizer.Encode(t, maxTokens).Length);

        float[][] Reference() => ort.EmbedTexts(encoder.Tokenizer, texts, maxTokens, BatchSize);

        var ours = new EngineEmbedder(encoder, settings, InferenceEngine.Auto).Embedder;
        var (oursVectors, oursSeconds) = Timed.Run(() => ours.Embed(texts));
        var (referenceVectors, referenceSeconds) = Timed.Run(Reference);
        double difference = Vectors.MaxAbsDifference(oursVectors, referenceVectors);
        if (difference > 1e-4) context.Note($"{Name}: vectors differ from ORT by up to {difference:G3}.");

        var (oursRounds, reference) = Interleaved.Measure(
            () => { ours.Embed(texts); return texts.Count; },
            () => { Reference(); return texts.Count; },
            context.Measure, Math.Max(oursSeconds, referenceSeconds));
        double perSentence = (double)tokens / texts.Count;
        context.Log.WriteLine($"  {Name}: {tokens} real tokens ({perSentence:F1}/sentence); parity max|Δ| {difference:G2}; " +
                              $"median ours {oursRounds.Median:F1}, ORT {reference.Median:F1} sentences/s");
        double oursRate = oursRounds.Pick(context.Measure), referenceRate = reference.Pick(context.Measure);
        yield return new ComparisonResult(Name, oursRate, referenceRate, "sentences/s");
        yield return new ComparisonResult(Name + "-tokens", oursRate * perSentence, referenceRate * perSentence, "tokens/s");
    }
}
