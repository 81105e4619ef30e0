using MLNet.Transfer.Benchmarks.Quick;
using MLNet.Transfer.Benchmarks.Support;

namespace MLNet.Transfer.Benchmarks.Comparisons;

/// <summary>
/// embed-batch{B}-{short|medium|long}-vs-ort: sentences/s from token ids to mean-pooled vectors for one batch of
/// B equal-length real texts (no padding). Ours: TokenBatch + BertModel.Forward + Pooling + copy-out; reference:
/// ONNX Runtime on the same model file and ids, last_hidden_state mean-pooled in C#. With <paramref name="bfloat16"/>
/// (embed-batch{B}-{length}-bf16-vs-ort) ours runs the opt-in bf16 inference against fp32 ORT, and the parity check
/// reports the smallest cosine similarity to ORT's vectors instead of the largest difference.
/// </summary>
internal sealed class EmbedBatchComparison(int batch, SequenceLength length, bool bfloat16 = false) : IComparison
{
    public string Name => $"embed-batch{batch}-{length.Name}{(bfloat16 ? "-bf16" : "")}-vs-ort";

    public IEnumerable<ComparisonResult> Run(BenchContext context)
    {
        var encoder = bfloat16 ? context.BFloat16Encoder : context.Encoder;
        var ort = context.Ort;
        var items = context.FixedLength(length.Tokens)[..batch];
        int padId = encoder.Tokenizer.PadId;

        var (oursVectors, oursSeconds) = Timed.Run(() => TorchEmbedder.EmbedMean(encoder, items));
        var (referenceVectors, referenceSeconds) = Timed.Run(() => ort.EmbedMean(items, padId));
        double difference = TorchEmbedder.MaxAbsDifference(oursVectors, referenceVectors);
        double cosine = TorchEmbedder.MinCosine(oursVectors, referenceVectors);
        if (bfloat16) context.Note($"{Name}: bf16 vectors vs fp32 ORT: cosine ≥ {cosine:F6}, max|Δ| {difference:G3}.");
        else if (difference > 1e-4) context.Note($"{Name}: pooled vectors differ from ORT by up to {difference:G3}.");

        var (ours, reference) = Interleaved.Measure(
            () => { TorchEmbedder.EmbedMean(encoder, items); return batch; },
            () => { ort.EmbedMean(items, padId); return batch; },
            context.Measure, Math.Max(oursSeconds, referenceSeconds));
        context.Log.WriteLine($"  {Name}: parity max|Δ| {difference:G2}, min cosine {cosine:F6}; ours {ours.Calls} calls, ORT {reference.Calls} calls, {ours.Rounds} rounds; " +
                              $"median ours {ours.Median:F1}, ORT {reference.Median:F1} sentences/s; {context.Measure.Statistic} ours " +
                              $"{ours.Pick(context.Measure) * length.Tokens:F0}, ORT {reference.Pick(context.Measure) * length.Tokens:F0} tokens/s");
        yield return new ComparisonResult(Name, ours.Pick(context.Measure), reference.Pick(context.Measure), "sentences/s");
    }
}
