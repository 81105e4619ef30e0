using Microsoft.ML;
using MLNet.Transfer.MLNetIntegration;
using MLNet.Transfer.Tests.Onnx;
using MLNet.Transfer.Models.Heads;
using MLNet.Transfer.Tests.MLNetIntegration;
using static MLNet.Transfer.Tests.Inference.EngineTestModels;

namespace MLNet.Transfer.Tests.Inference;

/// <summary>
/// The engine choice survives Model.Save / Load (the ONNX Runtime session is rebuilt from the saved weights: identical
/// outputs, in this process and in a fresh one), a loaded model can be switched to another engine, and concurrent
/// prediction engines share one session.
/// </summary>
[Category("Unit")]
public class EnginePersistenceTests
{
    [TestCase(InferenceEngine.Auto, InferenceEngine.OnnxRuntime)]
    [TestCase(InferenceEngine.OnnxRuntime, InferenceEngine.OnnxRuntime)]
    [TestCase(InferenceEngine.OnnxRuntimeInt8, InferenceEngine.OnnxRuntimeInt8)]
    [TestCase(InferenceEngine.LibTorch, InferenceEngine.LibTorch)]
    public void EmbeddingsKeepTheirEngineThroughSaveAndLoadWithIdenticalVectors(InferenceEngine chosen, InferenceEngine runs)
    {
        using var encoder = OnnxTestModels.TinyEncoder(seed: 31);
        var original = Embeddings(new MLContext(1), encoder, o => { o.Pooling = PoolingMode.Mean; o.Normalize = true; o.InferenceEngine = chosen; });
        Assert.That(original.InferenceEngine, Is.EqualTo(runs));
        var loaded = (ContextualEmbeddingTransformer)AssertRoundTrip(original, "Features");
        Assert.That(loaded.InferenceEngine, Is.EqualTo(runs));
    }

    [TestCase(InferenceEngine.Auto, InferenceEngine.OnnxRuntime)]
    [TestCase(InferenceEngine.OnnxRuntimeInt8, InferenceEngine.OnnxRuntimeInt8)]
    [TestCase(InferenceEngine.LibTorch, InferenceEngine.LibTorch)]
    public void ClassifiersKeepTheirEngineThroughSaveAndLoadWithIdenticalScores(InferenceEngine chosen, InferenceEngine runs)
    {
        var original = Classifier([new TaskSpec("sentiment", TaskKind.Binary, 1), new TaskSpec("topic", TaskKind.Multiclass, 3)], chosen);
        Assert.That(original.InferenceEngine, Is.EqualTo(runs));
        var loaded = (FineTunedTextTransformer)AssertRoundTrip(original, "topic.Score");
        Assert.That(loaded.InferenceEngine, Is.EqualTo(runs));
    }

    /// <summary>
    /// Saves <paramref name="original"/>, loads it in a fresh MLContext and in a fresh process, and checks both give
    /// <paramref name="column"/> exactly as the original does on <see cref="TextRows.Sample"/>; returns the in-process copy.
    /// </summary>
    private static ITransformer AssertRoundTrip(ITransformer original, string column)
    {
        using var temp = TestModels.TempDir();
        var mlContext = new MLContext(1);
        var expected = TextRows.Column(original.Transform(TextRows.Sample(mlContext)), column);
        Assert.That(expected.Distinct().Count(), Is.GreaterThan(3), "the rows must differ, else the comparison proves nothing");
        string zip = Path.Combine(temp.Path, "model.zip");
        mlContext.Model.Save(original, TextRows.Sample(mlContext).Schema, zip);

        var fresh = new MLContext(2).RegisterTransferComponents();
        var loaded = fresh.Model.Load(zip, out _);
        Assert.That(TextRows.Column(loaded.Transform(TextRows.Sample(fresh)), column), Is.EqualTo(expected));
        ChildCommands.AssertFreshProcessScores(zip, column, expected);
        return loaded;
    }

    [Test]
    public void ALoadedChainSwitchesEngineWithoutCopyingWeights()
    {
        using var temp = TestModels.TempDir();
        var mlContext = new MLContext(1);
        using var encoder = OnnxTestModels.TinyEncoder(seed: 32);
        var data = Rows(mlContext);
        var chain = mlContext.Transforms.Text.ApplyContextualEmbeddings(new ContextualEmbeddingOptions { Encoder = encoder, Pooling = PoolingMode.Cls })
            .Append(mlContext.Transforms.NormalizeMinMax("Features")).Fit(data);
        string zip = Path.Combine(temp.Path, "chain.zip");
        mlContext.Model.Save(chain, data.Schema, zip);
        var fresh = new MLContext(2).RegisterTransferComponents();
        var loaded = fresh.Model.Load(zip, out _);

        var torch = fresh.Model.WithInferenceEngine(loaded, InferenceEngine.LibTorch);
        var embeddings = ((IEnumerable<ITransformer>)torch).OfType<ContextualEmbeddingTransformer>().Single();
        Assert.That(embeddings.InferenceEngine, Is.EqualTo(InferenceEngine.LibTorch));
        Assert.That(embeddings.Encoder, Is.SameAs(((IEnumerable<ITransformer>)loaded).OfType<ContextualEmbeddingTransformer>().Single().Encoder));
        AssertClose(Values(loaded.Transform(data), "Features"), Values(torch.Transform(data), "Features"), 1e-4, "loaded chain, ORT vs LibTorch");
        var unchanged = mlContext.Transforms.NormalizeMinMax("Features").Fit(chain.Transform(data));
        Assert.That(fresh.Model.WithInferenceEngine(unchanged, InferenceEngine.LibTorch), Is.SameAs(unchanged), "nothing to switch");
    }

    [Test]
    public void EightConcurrentPredictionEnginesGiveTheSequentialResults()
    {
        var mlContext = new MLContext(1);
        var model = Classifier([new TaskSpec("task", TaskKind.Multiclass, 3)]);
        Assert.That(model.InferenceEngine, Is.EqualTo(InferenceEngine.OnnxRuntime));
        float[][] Predict(PredictionEngine<PairRow, ClassifierEngineTests.Scored> engine) =>
            Texts.Select(t => engine.Predict(new PairRow { Text = t }).Score).ToArray();
        using var sequentialEngine = mlContext.Model.CreatePredictionEngine<PairRow, ClassifierEngineTests.Scored>(model);
        var sequential = Predict(sequentialEngine);

        var results = new float[8][][][];
        var threads = Enumerable.Range(0, 8).Select(i => Task.Run(() =>
        {
            using var engine = mlContext.Model.CreatePredictionEngine<PairRow, ClassifierEngineTests.Scored>(model);
            results[i] = Enumerable.Range(0, 5).SelectMany(_ => Predict(engine)).Chunk(Texts.Length).ToArray();
        })).ToArray();
        Assert.That(Task.WaitAll(threads, TimeSpan.FromMinutes(2)), Is.True, "the threads finished");
        foreach (var run in results.SelectMany(r => r))
            Assert.That(OnnxTestModels.MaxAbsDiff(sequential, run), Is.LessThanOrEqualTo(1e-6));
    }

    [Test]
    public void DisposingAPredictionEngineLeavesTheModelUsable()
    {
        // ML.NET's PredictionEngine disposes a disposable transformer with itself: ours must not be disposable, or the
        // common "using var engine = CreatePredictionEngine(model)" would break the model for every later caller.
        var mlContext = new MLContext(1);
        var model = Classifier([new TaskSpec("task", TaskKind.Multiclass, 3)]);
        Assert.That(model.InferenceEngine, Is.EqualTo(InferenceEngine.OnnxRuntime));
        float[] first;
        using (var engine = mlContext.Model.CreatePredictionEngine<PairRow, ClassifierEngineTests.Scored>(model))
            first = engine.Predict(new PairRow { Text = Texts[0] }).Score;
        using var again = mlContext.Model.CreatePredictionEngine<PairRow, ClassifierEngineTests.Scored>(model);
        Assert.That(again.Predict(new PairRow { Text = Texts[0] }).Score, Is.EqualTo(first));
        Assert.That(model, Is.Not.InstanceOf<IDisposable>());
    }
}
