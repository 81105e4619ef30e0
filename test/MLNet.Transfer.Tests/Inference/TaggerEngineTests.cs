using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.MLNetIntegration;
using MLNet.Transfer.Models.Tagging;
using MLNet.Transfer.Tests.Cli;
using MLNet.Transfer.Tests.Onnx;
using MLNet.Transfer.Tests.Tagging;
using MLNet.Transfer.Text;
using MLNet.Transfer.Text.Tagging;
using static MLNet.Transfer.Tests.Onnx.OnnxTestModels;
using static TorchSharp.torch;

namespace MLNet.Transfer.Tests.Inference;

/// <summary>
/// Token classifiers run on ONNX Runtime by default and tag exactly as on LibTorch (scores within 1e-5), for the linear and
/// CRF heads and the features route: words split into several pieces, sentences longer than the window, empty sentences;
/// a batch equals one sentence at a time, Save/Load keeps the engine, eight concurrent PredictionEngines equal sequential
/// prediction, and the CLI's --engine switches a saved tagger.
/// </summary>
[Category("Unit")]
public class TaggerEngineTests
{
    private const double ScoreTolerance = 1e-5;
    private const int MaxTokens = 12;

    /// <summary>The export tests' sentences (multi-piece and unknown words, one that needs windows, one word alone), an empty one and a 40-word one.</summary>
    internal static readonly string[][] Sentences =
    [
        .. OnnxTaggerExportTests.Sentences, [],
        [.. Enumerable.Repeat<string[]>(["the", "Food", "was", "warmly", "good", "but", "the", "films", "were", "slow"], 4).SelectMany(w => w)],
    ];

    /// <summary>A tagger transformer over a tiny random BERT with every weight perturbed (CRF scores scaled up), windows of <see cref="MaxTokens"/>.</summary>
    internal static TokenClassificationTransformer Tagger(TaggerSpec spec, InferenceEngine engine = InferenceEngine.Auto, int seed = 13)
    {
        var bert = TinyBert(seed);
        var encoder = PretrainedEncoder.FromModel("tiny", bert, Vocabulary, CPU);
        var model = OnnxTaggerExportTests.Tagger(spec, seed, bert);
        return new TokenClassificationTransformer(encoder, model, new TokenClassificationTransformer.Columns("Tokens", "PredictedLabel", "Score", MaxTokens), batchSize: 4, engine);
    }

    private static TaggerSpec Spec(TaggingHead head, bool featuresOnly = false, int biLstm = 0, bool casing = false) =>
        new(OnnxTaggerExportTests.BioTags, head, featuresOnly, biLstm, casing);

    internal static IDataView Rows(MLContext mlContext) =>
        mlContext.Data.LoadFromEnumerable(Sentences.Select(s => new TokenClassifierTests.WordsRow { Tokens = s }).ToList());

    internal static (uint[][] Tags, float[][] Scores) Tagged(IDataView scored) =>
        (scored.GetColumn<uint[]>("PredictedLabel").ToArray(), scored.GetColumn<float[]>("Score").ToArray());

    /// <summary>Largest |Δ| between two sentences' per-word scores (the sentences' lengths must agree; an empty sentence has none).</summary>
    private static double ScoreDiff(float[][] expected, float[][] actual)
    {
        Assert.That(actual.Select(a => a.Length), Is.EqualTo(expected.Select(e => e.Length)), "one score per word");
        return expected.Zip(actual).SelectMany(p => p.First.Zip(p.Second, (e, a) => Math.Abs((double)e - a))).Max();
    }

    [TestCase(TaggingHead.Linear, false, 0, false)]
    [TestCase(TaggingHead.Crf, false, 0, false)]
    [TestCase(TaggingHead.Crf, false, 0, true)]
    [TestCase(TaggingHead.Crf, true, 6, true)]
    [TestCase(TaggingHead.Linear, true, 0, false)]
    public void DefaultEngineIsOnnxRuntimeAndTagsExactlyAsLibTorch(TaggingHead head, bool featuresOnly, int biLstm, bool casing)
    {
        var mlContext = new MLContext(1);
        var ort = Tagger(Spec(head, featuresOnly, biLstm, casing));
        var torch = ort.WithInferenceEngine(InferenceEngine.LibTorch);
        Assert.That(ort.InferenceEngine, Is.EqualTo(InferenceEngine.OnnxRuntime));
        Assert.That(torch.InferenceEngine, Is.EqualTo(InferenceEngine.LibTorch));
        Assert.That(torch.Encoder, Is.SameAs(ort.Encoder), "switching shares the weights");

        var tokenizer = ort.Encoder.Tokenizer;
        var windows = Sentences.Where(s => s.Length > 0).SelectMany(s => WordPieceAlignment.Windows(tokenizer, s, MaxTokens)).ToArray();
        Assert.That(windows, Has.Length.GreaterThan(Sentences.Length), "long sentences are read in several windows");
        Assert.That(windows.Any(w => w.FirstPieces.Zip(w.FirstPieces.Skip(1)).Any(p => p.Second - p.First > 1)), Is.True, "some words have several pieces");

        var (expectedTags, expectedScores) = Tagged(torch.Transform(Rows(mlContext)));
        var (tags, scores) = Tagged(ort.Transform(Rows(mlContext)));
        Assert.That(tags, Is.EqualTo(expectedTags), "identical tags");
        Assert.That(tags.Select(t => t.Length), Is.EqualTo(Sentences.Select(s => s.Length)), "one tag per word, none for the empty sentence");
        Assert.That(expectedTags.SelectMany(t => t).Distinct().Count(), Is.GreaterThan(2), "tags vary, so the comparison means something");
        double diff = ScoreDiff(expectedScores, scores);
        TestContext.Out.WriteLine($"{head} features={featuresOnly} bilstm={biLstm} casing={casing}: max |ORT − LibTorch| score = {diff:E2}");
        Assert.That(diff, Is.LessThanOrEqualTo(ScoreTolerance));
        Assert.That(ort.Predict(Sentences), Is.EqualTo(torch.Predict(Sentences)), "Predict without an IDataView");

        if (head == TaggingHead.Crf)
        {
            var linear = new TagPredictor(ort.Model, tokenizer, MaxTokens).Emissions(windows).Select(w => w.Select(e => Array.IndexOf(e, e.Max())));
            var crf = new TagPredictor(ort.Model, tokenizer, MaxTokens).PredictWindows(windows).Select(p => p.Tags);
            Assert.That(crf.SelectMany(t => t), Is.Not.EqualTo(linear.SelectMany(t => t)), "the CRF's transitions change some tags, so Viterbi decoding is compared too");
        }
    }

    [TestCase(TaggingHead.Linear)]
    [TestCase(TaggingHead.Crf)]
    public void BatchedSentencesEqualOneAtATimeThroughPredictionEngine(TaggingHead head)
    {
        var mlContext = new MLContext(1);
        var model = Tagger(Spec(head));
        Assert.That(model.InferenceEngine, Is.EqualTo(InferenceEngine.OnnxRuntime));
        var (tags, scores) = Tagged(model.Transform(Rows(mlContext)));
        using var engine = mlContext.Model.CreatePredictionEngine<TokenClassifierTests.WordsRow, TokenClassifierTests.TagsPrediction>(model);
        var single = Sentences.Select(s => engine.Predict(new TokenClassifierTests.WordsRow { Tokens = s })).ToArray();
        Assert.That(single.Select(p => p.PredictedLabel), Is.EqualTo(tags));
        Assert.That(ScoreDiff(scores, single.Select(p => p.Score).ToArray()), Is.LessThanOrEqualTo(ScoreTolerance));
    }

    [TestCase(InferenceEngine.Auto, InferenceEngine.OnnxRuntime)]
    [TestCase(InferenceEngine.OnnxRuntime, InferenceEngine.OnnxRuntime)]
    [TestCase(InferenceEngine.OnnxRuntimeInt8, InferenceEngine.OnnxRuntimeInt8)]
    [TestCase(InferenceEngine.LibTorch, InferenceEngine.LibTorch)]
    public void SaveAndLoadKeepTheEngineAndTheTags(InferenceEngine chosen, InferenceEngine runs)
    {
        using var temp = TestModels.TempDir();
        var mlContext = new MLContext(1);
        var original = Tagger(Spec(TaggingHead.Crf, casing: true), chosen);
        Assert.That(original.InferenceEngine, Is.EqualTo(runs));
        var (tags, scores) = Tagged(original.Transform(Rows(mlContext)));
        string zip = Path.Combine(temp.Path, "tagger.zip");
        mlContext.Model.Save(original, Rows(mlContext).Schema, zip);

        var fresh = new MLContext(2).RegisterTransferComponents();
        var loaded = (TokenClassificationTransformer)fresh.Model.Load(zip, out _);
        Assert.That(loaded.InferenceEngine, Is.EqualTo(runs));
        var (loadedTags, loadedScores) = Tagged(loaded.Transform(Rows(fresh)));
        Assert.That(loadedTags, Is.EqualTo(tags));
        Assert.That(loadedScores, Is.EqualTo(scores), "the session is rebuilt from the saved weights: identical scores");

        var switched = (TokenClassificationTransformer)fresh.Model.WithInferenceEngine(loaded, InferenceEngine.LibTorch);
        Assert.That(switched.InferenceEngine, Is.EqualTo(InferenceEngine.LibTorch));
        if (runs == InferenceEngine.OnnxRuntimeInt8) return; // approximate: its tags may differ from fp32
        Assert.That(Tagged(switched.Transform(Rows(fresh))).Tags, Is.EqualTo(tags), "the loaded tagger switched to LibTorch tags alike");
    }

    [Test]
    public void EightConcurrentPredictionEnginesGiveTheSequentialResults()
    {
        var mlContext = new MLContext(1);
        var model = Tagger(Spec(TaggingHead.Crf));
        Assert.That(model.InferenceEngine, Is.EqualTo(InferenceEngine.OnnxRuntime));
        string[] Predict(PredictionEngine<TokenClassifierTests.WordsRow, TokenClassifierTests.TagsPrediction> engine) =>
            Sentences.Select(s => engine.Predict(new TokenClassifierTests.WordsRow { Tokens = s }))
                     .Select(p => string.Join(",", p.PredictedLabel) + "|" + string.Join(",", p.Score)).ToArray();
        using var sequentialEngine = mlContext.Model.CreatePredictionEngine<TokenClassifierTests.WordsRow, TokenClassifierTests.TagsPrediction>(model);
        var sequential = Predict(sequentialEngine);
        Assert.That(sequential.Distinct().Count(), Is.EqualTo(Sentences.Length), "every sentence tags differently");

        var results = new string[8][][];
        var threads = Enumerable.Range(0, 8).Select(i => Task.Run(() =>
        {
            using var engine = mlContext.Model.CreatePredictionEngine<TokenClassifierTests.WordsRow, TokenClassifierTests.TagsPrediction>(model);
            results[i] = Enumerable.Range(0, 3).Select(_ => Predict(engine)).ToArray();
        })).ToArray();
        Assert.That(Task.WaitAll(threads, TimeSpan.FromMinutes(2)), Is.True, "the threads finished");
        foreach (var run in results.SelectMany(r => r)) Assert.That(run, Is.EqualTo(sequential));
    }

    [Test]
    public void ANonBertEncoderFallsBackToLibTorchOnAutoAndIsRefusedOnOnnxRuntime()
    {
        var encoder = EngineTestModels.Recurrent();
        TokenClassificationTransformer Make(InferenceEngine engine) => new(encoder, new TaggingModel(encoder.Model, Spec(TaggingHead.Crf), 0),
            new TokenClassificationTransformer.Columns("Tokens", "PredictedLabel", "Score", MaxTokens), 4, engine);
        var auto = Make(InferenceEngine.Auto);
        Assert.That(auto.InferenceEngine, Is.EqualTo(InferenceEngine.LibTorch));
        Assert.That(auto.Predict([["the", "movie"]])[0], Has.Length.EqualTo(2));
        Assert.That(() => Make(InferenceEngine.OnnxRuntime), Throws.InstanceOf<NotSupportedException>().With.Message.Contain("BERT"));
        Assert.That(() => auto.WithInferenceEngine(InferenceEngine.OnnxRuntime), Throws.InstanceOf<NotSupportedException>());
    }

    [Test]
    public void TheCliPredictsAndEvaluatesASavedTaggerAlikeOnBothEngines()
    {
        using var temp = TestModels.TempDir();
        var mlContext = new MLContext(1);
        var model = Tagger(Spec(TaggingHead.Crf));
        string zip = Path.Combine(temp.Path, "tagger.zip"), conll = Path.Combine(temp.Path, "test.conll");
        mlContext.Model.Save(model, Rows(mlContext).Schema, zip);
        var gold = Sentences.Where(s => s.Length > 0).Select((s, i) => new TaggedSentence(s, model.Predict([s])[0].Select((t, w) => (w + i) % 3 == 0 ? "O" : t).ToArray())).ToList();
        using (var writer = new StreamWriter(conll)) ConllReader.Write(writer, gold);

        string Run(params string[] args)
        {
            var (code, output, error) = InProcessCli.Run(args);
            Assert.That(code, Is.EqualTo(0), error);
            return output;
        }
        string text = string.Join(' ', Sentences[2]);
        string byDefault = Run("predict", "--model-file", zip, "--text", text, "--json");
        Assert.That(byDefault, Does.Contain("B-"), "a real tagging");
        string Tags(string json) => string.Join(",", System.Text.Json.JsonDocument.Parse(json).RootElement.GetProperty("PredictedLabel").EnumerateArray().Select(t => t.GetString()));
        Assert.That(Tags(Run("predict", "--model-file", zip, "--text", text, "--json", "--engine", "libtorch")), Is.EqualTo(Tags(byDefault)));
        Assert.That(Tags(Run("predict", "--model-file", zip, "--text", text, "--json", "--engine", "onnxruntime")), Is.EqualTo(Tags(byDefault)));

        string evaluated = Run("evaluate", "--model-file", zip, "--test", conll, "--json");
        Assert.That(evaluated, Does.Contain("F1Score"));
        Assert.That(Run("evaluate", "--model-file", zip, "--test", conll, "--json", "--engine", "libtorch"), Is.EqualTo(evaluated));
    }
}
