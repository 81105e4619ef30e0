using MLNet.Transfer.Benchmarks.Quick;
using MLNet.Transfer.Benchmarks.Support;

namespace MLNet.Transfer.Benchmarks.Comparisons;

/// <summary>
/// embed-batch{B}-{short|medium|long}-vs-ort: sentences/s from token ids to mean-pooled vectors for one batch of
/// B equal-length real texts (no padding). Ours: the per-batch work of <c>SentenceEmbedder</c> on the default engine
/// (<c>InferenceEngine.Auto</c>: ONNX Runtime over our own export of the encoder, mean pooling inside the graph);
/// reference: ONNX Runtime on the published model.onnx and the same ids, last_hidden_state mean-pooled in C#. With
/// <see cref="EmbedPath.LibTorch"/> (embed-batch{B}-{length}-libtorch-vs-ort) ours is fp32 LibTorch; with
/// <see cref="EmbedPath.BFloat16"/> (-bf16-vs-ort) the opt-in bf16 inference, with <see cref="EmbedPath.Int8"/> (-int8-vs-ort)
/// the opt-in int8 ONNX Runtime engine, and the parity check reports the smallest cosine similarity to ORT's vectors
/// instead of the largest difference. With <paramref name="int8Reference"/> (-int8-vs-ort-int8) the reference is ONNX
/// Runtime on the published model quantized the same way (<see cref="PublishedInt8Model"/>).
/// </summary>
internal sealed class EmbedBatchComparison(int batch, SequenceLength length, EmbedPath path = EmbedPath.Default, bool int8Reference = false) : IComparison
{
    public string Name => $"embed-batch{batch}-{length.Name}{Suffix}-vs-ort{(int8Reference ? "-int8" : "")}";

    private string Suffix => path switch { EmbedPath.LibTorch => "-libtorch", EmbedPath.BFloat16 => "-bf16", EmbedPath.Int8 => "-int8", _ => "" };

    public IEnumerable<ComparisonResult> Run(BenchContext context)
    {
        bool approximate = path is EmbedPath.BFloat16 or EmbedPath.Int8;
        var embedder = context.Embedder(path);
        var ort = int8Reference ? context.OrtInt8 : context.Ort;
        var items = context.FixedLength(length.Tokens)[..batch];
        int padId = context.Encoder.Tokenizer.PadId;

        var (oursVectors, oursSeconds) = Timed.Run(() => embedder.Embedder.EncodeBatch(items));
        var (referenceVectors, referenceSeconds) = Timed.Run(() => ort.EmbedMean(items, padId));
        double difference = Vectors.MaxAbsDifference(oursVectors, referenceVectors);
        double cosine = Vectors.MinCosine(oursVectors, referenceVectors);
        if (approximate) context.Note($"{Name}: {Suffix[1..]} vectors vs {(int8Reference ? "int8" : "fp32")} ORT: cosine ≥ {cosine:F6}, max|Δ| {difference:G3}.");
        else if (difference > 1e-4) context.Note($"{Name}: pooled vectors differ from ORT by up to {difference:G3}.");

        var (ours, reference) = Interleaved.Measure(
            () => { embedder.Embedder.EncodeBatch(items); return batch; },
            () => { ort.EmbedMean(items, padId); return batch; },
            context.Measure, Math.Max(oursSeconds, referenceSeconds));
        context.Log.WriteLine($"  {Name}: ours on {embedder.Engine}; parity max|Δ| {difference:G2}, min cosine {cosine:F6}; ours {ours.Calls} calls, ORT {reference.Calls} calls, {ours.Rounds} rounds; " +
                              $"median ours {ours.Median:F1}, ORT {reference.Median:F1} sentences/s; {context.Measure.Statistic} ours " +
                              $"{ours.Pick(context.Measure) * length.Tokens:F0}, ORT {reference.Pick(context.Measure) * length.Tokens:F0} tokens/s");
        yield return new ComparisonResult(Name, ours.Pick(context.Measure), reference.Pick(context.Measure), "sentences/s");
    }
}
