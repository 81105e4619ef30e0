using Microsoft.ML;
using MLNet.Transfer.MLNetIntegration;
using MLNet.Transfer.Tests.Onnx;
using static MLNet.Transfer.Tests.Inference.EngineTestModels;

namespace MLNet.Transfer.Tests.Inference;

/// <summary>
/// Contextual embeddings computed by ONNX Runtime over our export (the default engine) equal LibTorch's for the same
/// encoder and options: every pooling, normalised or not, several layers, pairs, long texts through windows.
/// </summary>
[Category("Unit")]
public class EmbeddingEngineTests
{
    private const double Tolerance = 1e-4;

    [TestCase(PoolingMode.Mean, false)]
    [TestCase(PoolingMode.Mean, true)]
    [TestCase(PoolingMode.Cls, false)]
    [TestCase(PoolingMode.Cls, true)]
    [TestCase(PoolingMode.Max, false)]
    [TestCase(PoolingMode.MeanMax, true)]
    public void DefaultEngineIsOnnxRuntimeAndGivesLibTorchsVectors(PoolingMode pooling, bool normalize)
    {
        var mlContext = new MLContext(1);
        using var encoder = OnnxTestModels.TinyEncoder(seed: 21);
        var ort = Embeddings(mlContext, encoder, o => { o.Pooling = pooling; o.Normalize = normalize; });
        var torch = ort.WithInferenceEngine(InferenceEngine.LibTorch);

        Assert.That(ort.InferenceEngine, Is.EqualTo(InferenceEngine.OnnxRuntime), "Auto on a BERT encoder on the CPU");
        Assert.That(torch.InferenceEngine, Is.EqualTo(InferenceEngine.LibTorch));
        var expected = Values(torch.Transform(Rows(mlContext)), "Features");
        var actual = Values(ort.Transform(Rows(mlContext)), "Features");
        AssertClose(expected, actual, Tolerance, $"{pooling}, normalize {normalize}");
        if (normalize) Assert.That(actual.Select(v => Math.Sqrt(v.Sum(x => (double)x * x))), Is.All.EqualTo(1).Within(1e-5));
    }

    [TestCase(LayerCombination.Average)]
    [TestCase(LayerCombination.Concatenate)]
    [TestCase(LayerCombination.ScalarMix)]
    public void SeveralLayersCombineAlikeOnBothEngines(LayerCombination combination)
    {
        var mlContext = new MLContext(1);
        using var encoder = OnnxTestModels.TinyEncoder(seed: 22);
        var ort = Embeddings(mlContext, encoder, o =>
        {
            o.Pooling = PoolingMode.Mean;
            o.Layers = [0, -2, -1];
            o.Combination = combination;
            o.MixWeights = combination == LayerCombination.ScalarMix ? [0.3f, -1f, 2f] : null;
        });
        var torch = ort.WithInferenceEngine(InferenceEngine.LibTorch);
        Assert.That(ort.InferenceEngine, Is.EqualTo(InferenceEngine.OnnxRuntime));
        AssertClose(Values(torch.Transform(Rows(mlContext)), "Features"), Values(ort.Transform(Rows(mlContext)), "Features"), Tolerance, combination.ToString());
    }

    [Test]
    public void SentencePairsEmbedAlike()
    {
        var mlContext = new MLContext(1);
        using var encoder = OnnxTestModels.TinyEncoder(seed: 23);
        var ort = Embeddings(mlContext, encoder, o => { o.SecondInputColumnName = nameof(PairRow.Second); o.Pooling = PoolingMode.Cls; });
        var torch = ort.WithInferenceEngine(InferenceEngine.LibTorch);
        Assert.That(ort.InferenceEngine, Is.EqualTo(InferenceEngine.OnnxRuntime));
        AssertClose(Values(torch.Transform(Pairs(mlContext)), "Features"), Values(ort.Transform(Pairs(mlContext)), "Features"), Tolerance, "pairs");
    }

    [Test]
    public void LongTextsAverageTheSameWindowsOnBothEngines()
    {
        var mlContext = new MLContext(1);
        using var encoder = OnnxTestModels.TinyEncoder(seed: 24);
        var ort = Embeddings(mlContext, encoder, o => { o.Pooling = PoolingMode.Mean; o.Normalize = true; o.MaxTokens = 8; o.WindowStride = 3; });
        var torch = ort.WithInferenceEngine(InferenceEngine.LibTorch);
        var truncated = Embeddings(mlContext, encoder, o => { o.Pooling = PoolingMode.Mean; o.Normalize = true; o.MaxTokens = 8; });
        Assert.That(encoder.Tokenizer.EncodeWindows(Texts[^1], 8, 3), Has.Count.GreaterThan(10), "the long text spans many windows");

        var windowed = Values(ort.Transform(Rows(mlContext)), "Features");
        AssertClose(Values(torch.Transform(Rows(mlContext)), "Features"), windowed, Tolerance, "windows");
        var cut = Values(truncated.Transform(Rows(mlContext)), "Features");
        Assert.That(OnnxTestModels.MaxAbsDiff([cut[^1]], [windowed[^1]]), Is.GreaterThan(1e-3), "windows see the whole text, truncation only its head");
    }

    [Test]
    public void BatchedRowsEqualOneRowAtATimeThroughPredictionEngine()
    {
        var mlContext = new MLContext(1);
        using var encoder = OnnxTestModels.TinyEncoder(seed: 25);
        var ort = Embeddings(mlContext, encoder, o => o.Pooling = PoolingMode.Mean);
        var batched = Values(ort.Transform(Rows(mlContext)), "Features");
        using var engine = mlContext.Model.CreatePredictionEngine<PairRow, Embedded>(ort);
        var single = Texts.Select(t => engine.Predict(new PairRow { Text = t }).Features).ToArray();
        Assert.That(OnnxTestModels.MaxAbsDiff(batched, single), Is.LessThanOrEqualTo(1e-5));
        Assert.That(batched.Select(v => v[0]).Distinct().Count(), Is.GreaterThan(Texts.Length / 2));
    }

    [Test]
    public void TokenLevelOutputRunsOnLibTorchUnderAutoAndIsAnErrorUnderOnnxRuntime()
    {
        var mlContext = new MLContext(1);
        using var encoder = OnnxTestModels.TinyEncoder(seed: 26);
        var auto = Embeddings(mlContext, encoder, o => o.TokenLevel = true);
        Assert.That(auto.InferenceEngine, Is.EqualTo(InferenceEngine.LibTorch));
        var error = Assert.Throws<NotSupportedException>(() => Embeddings(mlContext, encoder, o => { o.TokenLevel = true; o.InferenceEngine = InferenceEngine.OnnxRuntime; }));
        Assert.That(error!.Message, Does.Contain("token-level").And.Contain("InferenceEngine.Auto"));
    }

    /// <summary>The embedding column of a prediction.</summary>
    public sealed class Embedded
    {
        public float[] Features { get; set; } = [];
    }
}
