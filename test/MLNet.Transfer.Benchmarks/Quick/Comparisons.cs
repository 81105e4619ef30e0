using MLNet.Transfer.Benchmarks.Comparisons;
using MLNet.Transfer.Benchmarks.Support;

namespace MLNet.Transfer.Benchmarks.Quick;

/// <summary>The registry of quick-mode comparisons, in run order.</summary>
internal static class Comparisons
{
    public static IReadOnlyList<IComparison> All()
    {
        var list = new List<IComparison>();
        foreach (int batch in new[] { 1, 8, 32, 128 })
            foreach (var length in SequenceLength.All)
                list.Add(new EmbedBatchComparison(batch, length));
        foreach (int batch in new[] { 1, 32 })
            list.Add(new EmbedBatchComparison(batch, SequenceLength.Medium, EmbedPath.LibTorch));
        foreach (int batch in new[] { 1, 32 })
            list.Add(new EmbedBatchComparison(batch, SequenceLength.Medium, EmbedPath.BFloat16));
        foreach (int batch in new[] { 1, 32 })
        {
            list.Add(new EmbedBatchComparison(batch, SequenceLength.Medium, EmbedPath.Int8));
            list.Add(new EmbedBatchComparison(batch, SequenceLength.Medium, EmbedPath.Int8, int8Reference: true));
        }
        foreach (int batch in new[] { 1, 32 })
            list.Add(new UnderLoadComparison(new EmbedBatchComparison(batch, SequenceLength.Medium)));
        list.Add(new UnderLoadComparison(new EmbedBatchComparison(32, SequenceLength.Medium, EmbedPath.LibTorch)));
        list.Add(new InferenceMemoryComparison());
        list.Add(new TokenizeComparison());
        list.Add(new EmbedCorpusComparison());
        list.Add(new PipelineComparison());
        list.Add(new FineTuneComparison());
        list.Add(new ShortTextFineTuneComparison());
        list.Add(new MixedPrecisionFineTuneComparison());
        list.Add(new TaggerFineTuneComparison());
        foreach (int batch in new[] { 1, 32 })
            list.Add(new TaggerInferenceComparison(batch));
        list.Add(new UnderLoadComparison(new TaggerInferenceComparison(32)));
        list.Add(new StreamingMemoryComparison());
        return list;
    }
}
