using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.MLNetIntegration;
using MLNet.Transfer.Models.Heads;
using MLNet.Transfer.Models.Tagging;
using MLNet.Transfer.Tests.Onnx;
using MLNet.Transfer.Text;
using static MLNet.Transfer.Tests.Onnx.OnnxTestModels;
using static TorchSharp.torch;

namespace MLNet.Transfer.Tests.Inference;

/// <summary>
/// A multi-task model with tagging tasks next to sentence tasks runs whole on ONNX Runtime by default (one session: the
/// sentence outputs and each tagging head's emissions) and gives the LibTorch engine's tags exactly and its scores within
/// 1e-5; Save/Load keeps the engine.
/// </summary>
[Category("Unit")]
public class MultiTaskTaggingEngineTests
{
    private const double Tolerance = 1e-5;
    private const int MaxTokens = 12;
    private static readonly string[] PosTags = ["DET", "NOUN", "VERB", "ADJ"];

    /// <summary>A row with a text for the sentence tasks and words for the tagging tasks.</summary>
    public sealed class BothRow
    {
        public string Text { get; set; } = "";
        public string[] Tokens { get; set; } = [];
    }

    /// <summary>The tagger tests' sentences (multi-piece words, one that needs windows, an empty one), paired with texts of 0 to 60 words.</summary>
    private static string[][] Sentences => TaggerEngineTests.Sentences;

    internal static IDataView Rows(MLContext mlContext)
    {
        int count = Math.Max(Sentences.Length, EngineTestModels.Texts.Length);
        return mlContext.Data.LoadFromEnumerable(Enumerable.Range(0, count)
            .Select(i => new BothRow { Text = EngineTestModels.Texts[i % EngineTestModels.Texts.Length], Tokens = Sentences[i % Sentences.Length] }).ToList());
    }

    /// <summary>Sentence tasks (binary, multiclass) and tagging tasks (CRF with casing features, linear) over a tiny random BERT, every weight perturbed, CRF scores scaled up.</summary>
    internal static TaskSpec[] Tasks { get; } =
    [
        new("sentiment", TaskKind.Binary, 1),
        new("ner", TaskKind.Tagging, OnnxTaggerExportTests.BioTags.Length) { Tagging = new TaggerSpec(OnnxTaggerExportTests.BioTags, TaggingHead.Crf, CasingFeatures: true) },
        new("topic", TaskKind.Multiclass, 3),
        new("pos", TaskKind.Tagging, PosTags.Length) { Tagging = new TaggerSpec(PosTags, TaggingHead.Linear) },
    ];

    /// <summary>The multi-task transformer on <paramref name="engine"/>.</summary>
    internal static FineTunedTextTransformer MultiTask(InferenceEngine engine = InferenceEngine.Auto, int seed = 17)
    {
        var encoder = PretrainedEncoder.FromModel("tiny", TinyBert(seed), Vocabulary, CPU);
        var model = new TransferModel(encoder.Model, Tasks, PoolingMode.Mean, 0);
        manual_seed(seed);
        Perturb(model);
        using (no_grad())
            foreach (var task in Tasks.Where(t => t.Tagging?.Head == TaggingHead.Crf))
                foreach (var p in model.Tagger(task.Name).Crf!.parameters()) p.mul_(10);
        model.eval();
        var columns = Tasks.Select(t => TaskColumns.ForTask(t.Name, t.Tagging?.Tags ?? (t.Kind == TaskKind.Multiclass ? ["a", "b", "c"] : null))
                                        with { Tokens = t.Kind == TaskKind.Tagging ? "Tokens" : null }).ToArray();
        var input = new FineTunedTextTransformer.TextInput("Text", null, MaxTokens, TruncationStrategy.Head);
        return new FineTunedTextTransformer(encoder, model, input, columns, batchSize: 4, engine);
    }

    /// <summary>Every output column: tags (exact) and scores.</summary>
    internal sealed record Outputs(uint[][] NerTags, float[][] NerScores, uint[][] PosTags, float[][] PosScores, float[] Sentiment, float[][] Topic, uint[] TopicLabel)
    {
        public static Outputs Of(IDataView scored) => new(
            scored.GetColumn<uint[]>("ner.PredictedLabel").ToArray(), scored.GetColumn<float[]>("ner.Score").ToArray(),
            scored.GetColumn<uint[]>("pos.PredictedLabel").ToArray(), scored.GetColumn<float[]>("pos.Score").ToArray(),
            scored.GetColumn<float>("sentiment.Probability").ToArray(), scored.GetColumn<float[]>("topic.Score").ToArray(),
            scored.GetColumn<uint>("topic.PredictedLabel").ToArray());

        /// <summary>Asserts identical tags and labels and scores within <paramref name="tolerance"/> (0: identical).</summary>
        public void AssertMatches(Outputs expected, double tolerance, string what)
        {
            Assert.That(NerTags, Is.EqualTo(expected.NerTags), $"{what}: ner tags");
            Assert.That(PosTags, Is.EqualTo(expected.PosTags), $"{what}: pos tags");
            Assert.That(TopicLabel, Is.EqualTo(expected.TopicLabel), $"{what}: topic labels");
            double diff = new[]
            {
                Diff(expected.NerScores, NerScores), Diff(expected.PosScores, PosScores), Diff([expected.Sentiment], [Sentiment]), Diff(expected.Topic, Topic),
            }.Max();
            TestContext.Out.WriteLine($"{what}: max |Δ| of scores = {diff:E2}");
            Assert.That(diff, Is.LessThanOrEqualTo(tolerance), what);
        }

        private static double Diff(float[][] expected, float[][] actual)
        {
            Assert.That(actual.Select(a => a.Length), Is.EqualTo(expected.Select(e => e.Length)));
            return expected.Zip(actual).SelectMany(p => p.First.Zip(p.Second, (e, a) => Math.Abs((double)e - a))).DefaultIfEmpty(0).Max();
        }
    }

    [Test]
    public void TheWholeMultiTaskModelRunsOnOnnxRuntimeAndTagsExactlyAsLibTorch()
    {
        var mlContext = new MLContext(1);
        var ort = MultiTask();
        var torch = ort.WithInferenceEngine(InferenceEngine.LibTorch);
        Assert.That(ort.InferenceEngine, Is.EqualTo(InferenceEngine.OnnxRuntime), "tagging tasks no longer keep the model on LibTorch");
        Assert.That(torch.InferenceEngine, Is.EqualTo(InferenceEngine.LibTorch));

        var expected = Outputs.Of(torch.Transform(Rows(mlContext)));
        var actual = Outputs.Of(ort.Transform(Rows(mlContext)));
        Assert.That(expected.NerTags.SelectMany(t => t).Distinct().Count(), Is.GreaterThan(2), "ner tags vary, so the comparison means something");
        Assert.That(expected.PosTags.SelectMany(t => t).Distinct().Count(), Is.GreaterThan(1), "pos tags vary");
        Assert.That(expected.Sentiment.Distinct().Count(), Is.GreaterThan(expected.Sentiment.Length / 2), "sentence scores vary");
        Assert.That(expected.NerTags.Select(t => t.Length), Is.EqualTo(Rows(mlContext).GetColumn<string[]>("Tokens").Select(w => w.Length)), "one tag per word");
        actual.AssertMatches(expected, Tolerance, "ORT vs LibTorch");

        var sentences = Sentences.Select(s => (IReadOnlyList<string>)s).ToArray();
        foreach (string task in new[] { "ner", "pos" })
            Assert.That(ort.PredictTags(task, sentences), Is.EqualTo(torch.PredictTags(task, sentences)), $"PredictTags {task}");
    }

    [TestCase(InferenceEngine.Auto, InferenceEngine.OnnxRuntime)]
    [TestCase(InferenceEngine.OnnxRuntime, InferenceEngine.OnnxRuntime)]
    [TestCase(InferenceEngine.LibTorch, InferenceEngine.LibTorch)]
    public void SaveAndLoadKeepTheEngineAndTheOutputs(InferenceEngine chosen, InferenceEngine runs)
    {
        using var temp = TestModels.TempDir();
        var mlContext = new MLContext(1);
        var original = MultiTask(chosen);
        Assert.That(original.InferenceEngine, Is.EqualTo(runs));
        var expected = Outputs.Of(original.Transform(Rows(mlContext)));
        string zip = Path.Combine(temp.Path, "multitask.zip");
        mlContext.Model.Save(original, Rows(mlContext).Schema, zip);

        var fresh = new MLContext(2).RegisterTransferComponents();
        var loaded = (FineTunedTextTransformer)fresh.Model.Load(zip, out _);
        Assert.That(loaded.InferenceEngine, Is.EqualTo(runs));
        Outputs.Of(loaded.Transform(Rows(fresh))).AssertMatches(expected, 0, "reloaded");
        var other = loaded.WithInferenceEngine(runs == InferenceEngine.LibTorch ? InferenceEngine.OnnxRuntime : InferenceEngine.LibTorch);
        Outputs.Of(other.Transform(Rows(fresh))).AssertMatches(expected, Tolerance, "reloaded, on the other engine");
    }
}
