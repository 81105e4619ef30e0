using Microsoft.ML;
using MLNet.Transfer.MLNetIntegration;
using MLNet.Transfer.Tests.Onnx;
using static MLNet.Transfer.Tests.Inference.EngineTestModels;

namespace MLNet.Transfer.Tests.Inference;

/// <summary>The real all-MiniLM-L6-v2 on <see cref="InferenceEngine.OnnxRuntimeInt8"/>: sentence vectors stay close to fp32 (docs/performance.md has the figures on 2,000 sentences).</summary>
[Category("Integration")]
public class Int8MiniLmTests
{
    [Test]
    public void MiniLmInt8SentenceVectorsStayCloseToFp32()
    {
        var mlContext = new MLContext(1);
        var rows = mlContext.Data.LoadFromEnumerable(OnnxMiniLmExportTests.Sentences.Select(s => new PairRow { Text = s }).ToList());
        var options = new ContextualEmbeddingOptions { Encoder = TestModels.MiniLm, Normalize = true, InferenceEngine = InferenceEngine.OnnxRuntimeInt8 };
        var int8 = mlContext.Transforms.Text.ApplyContextualEmbeddings(options).Fit(rows);
        var fp32 = int8.WithInferenceEngine(InferenceEngine.OnnxRuntime);

        var expected = Values(fp32.Transform(rows), "Features");
        var actual = Values(int8.Transform(rows), "Features");
        var cosines = expected.Zip(actual, Cosine).ToArray();
        TestContext.Out.WriteLine($"MiniLM int8 vs fp32 on {cosines.Length} sentences: mean cosine {cosines.Average():F5}, min {cosines.Min():F5}");
        Assert.That(cosines.Average(), Is.GreaterThanOrEqualTo(0.98), "measured 0.9895 with 8-bit weights; 7-bit ones (x64 without VNNI) lose a little more");
        Assert.That(cosines.Min(), Is.GreaterThanOrEqualTo(0.95), "measured 0.966");
        Assert.That(cosines.Min(), Is.LessThan(0.99999), "int8 vectors must differ from fp32, else nothing was quantized");
    }
}
