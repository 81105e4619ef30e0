using MLNet.Transfer.Benchmarks.Quick;
using MLNet.Transfer.Benchmarks.Support;

namespace MLNet.Transfer.Benchmarks.Comparisons;

/// <summary>
/// embed-batch{B}-{short|medium|long}-vs-ort: sentences/s from token ids to mean-pooled vectors for one batch of
/// B equal-length real texts (no padding). Ours: TokenBatch + BertModel.Forward + Pooling + copy-out; reference:
/// ONNX Runtime on the same model file and ids, last_hidden_state mean-pooled in C#.
/// </summary>
internal sealed class EmbedBatchComparison(int batch, SequenceLength length) : IComparison
{
    public string Name => $"embed-batch{batch}-{length.Name}-vs-ort";

    public IEnumerable<ComparisonResult> Run(BenchContext context)
    {
        var encoder = context.Encoder;
        var ort = context.Ort;
        var items = context.FixedLength(length.Tokens)[..batch];
        int padId = encoder.Tokenizer.PadId;

        var (oursVectors, oursSeconds) = Timed.Run(() => TorchEmbedder.EmbedMean(encoder, items));
        var (referenceVectors, referenceSeconds) = Timed.Run(() => ort.EmbedMean(items, padId));
        double difference = TorchEmbedder.MaxAbsDifference(oursVectors, referenceVectors);
        if (difference > 1e-4) context.Note($"{Name}: pooled vectors differ from ORT by up to {difference:G3}.");

        var (ours, reference) = Interleaved.Measure(
            () => { TorchEmbedder.EmbedMean(encoder, items); return batch; },
            () => { ort.EmbedMean(items, padId); return batch; },
            context.Measure, Math.Max(oursSeconds, referenceSeconds));
        context.Log.WriteLine($"  {Name}: parity max|Δ| {difference:G2}; ours {ours.Calls} calls, ORT {reference.Calls} calls, {ours.Rounds} rounds; " +
                              $"median ours {ours.Median:F1}, ORT {reference.Median:F1} sentences/s");
        yield return new ComparisonResult(Name, ours.Pick(context.Measure), reference.Pick(context.Measure), "sentences/s");
    }
}
