using MLNet.Transfer.Benchmarks.Quick;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.Inference;
using MLNet.Transfer.Models.Tagging;

namespace MLNet.Transfer.Benchmarks.Comparisons;

/// <summary>
/// tagging-batch{1,32}-crf-vs-libtorch: sentences/s of a token classifier (all-MiniLM-L6-v2, CRF head over WNUT-17's 13
/// tags, random head: speed does not depend on the weights) on the default engine (<see cref="InferenceEngine.Auto"/>: ONNX
/// Runtime over our export up to the emissions, Viterbi in C#) against the same tagger on fp32 LibTorch, in one run:
/// real corpus sentences split on spaces (5–40 words), windows of 128 tokens, <see cref="TagPredictor.Predict"/> on one
/// sentence per call (batch 1) or 32 (batch 32, length-bucketed by the predictor). Before timing, both engines tag the
/// inputs and a note says how many tags differ (expected: none).
/// </summary>
internal sealed class TaggerInferenceComparison(int batch) : IComparison
{
    private const int MaxTokens = 128, Sentences = 256;

    public string Name => $"tagging-batch{batch}-crf-vs-libtorch";

    public IEnumerable<ComparisonResult> Run(BenchContext context)
    {
        using var encoder = PretrainedEncoder.Load(BenchContext.ModelName); // the tagger owns (and disposes) its encoder
        using var model = new TaggingModel(encoder.Model, new TaggerSpec(TaggerFineTuneComparison.TagSet(), TaggingHead.Crf), headDropout: 0);
        model.eval();
        var ours = new EngineTagPredictor(model, encoder.Tokenizer, MaxTokens, batchSize: 32, InferenceEngine.Auto);
        var libTorch = new TagPredictor(model, encoder.Tokenizer, MaxTokens, batchSize: 32);
        var sentences = context.Corpus.Sentences.Select(s => (IReadOnlyList<string>)s.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                                                .Where(w => w.Count is >= 5 and <= 40).Take(Sentences).ToArray();
        context.Log.WriteLine($"  {Name}: {sentences.Length} sentences, {sentences.Average(s => s.Count):F1} words on average; ours on {ours.Engine}");

        var expected = libTorch.Predict(sentences);
        var actual = ours.Predictor.Predict(sentences);
        int words = expected.Sum(p => p.Tags.Length);
        int differing = expected.Zip(actual).Sum(p => p.First.Tags.Zip(p.Second.Tags).Count(t => t.First != t.Second));
        double scoreDiff = expected.Zip(actual).SelectMany(p => p.First.Scores.Zip(p.Second.Scores, (a, b) => Math.Abs((double)a - b))).Max();
        context.Notes.Add($"{Name}: {differing} of {words} tags differ between the engines, max |Δ score| {scoreDiff:E1}");

        int next = 0;
        IReadOnlyList<string>[] NextBatch()
        {
            var items = new IReadOnlyList<string>[batch];
            for (int i = 0; i < batch; i++) items[i] = sentences[next++ % sentences.Length];
            return items;
        }
        var (oursRate, libTorchRate) = Interleaved.Measure(() => ours.Predictor.Predict(NextBatch()).Length, () => libTorch.Predict(NextBatch()).Length, context.Measure);
        yield return new ComparisonResult(Name, oursRate.Pick(context.Measure), libTorchRate.Pick(context.Measure), "sentences/s");
    }
}
