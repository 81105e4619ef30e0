using Microsoft.ML;
using MLNet.Transfer.Checkpoints.OnnxImport;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.Models.Heads;
using MLNet.Transfer.Onnx;
using MLNet.Transfer.Tests.Onnx;
using static MLNet.Transfer.Tests.Inference.EngineTestModels;

namespace MLNet.Transfer.Tests.Inference;

/// <summary>
/// The opt-in <see cref="InferenceEngine.OnnxRuntimeInt8"/>: dense layers as DynamicQuantizeMatMul over int8 weights that
/// dequantize to the model's weights within half a step; outputs close to fp32 LibTorch but not equal (the quantization
/// really happens); never chosen by Auto; refused where ONNX Runtime cannot run the model. Save / Load: <see cref="EnginePersistenceTests"/>.
/// </summary>
[Category("Unit")]
public class Int8EngineTests
{
    [Test]
    public void Int8ExportHasOneQuantizedMatMulPerDenseLayerWithWeightsWithinHalfAStep()
    {
        using var encoder = OnnxTestModels.TinyEncoder(seed: 41);
        var bytes = OnnxTestModels.Bytes(s => encoder.WriteOnnx(s, new EmbeddingSettings(), new OnnxExportOptions { Int8Weights = true }));
        var graph = OnnxProtoReader.ReadGraph(bytes);
        int layers = ((MLNet.Transfer.Models.Bert.BertModel)encoder.Model).Config.NumHiddenLayers;
        Assert.That(graph.Nodes.Count(n => n.OpType == "DynamicQuantizeMatMul"), Is.EqualTo(6 * layers), "query, key, value, attention output, feed-forward up and down");
        Assert.That(graph.Nodes.Count(n => n.OpType == "MatMul"), Is.EqualTo(2 * layers), "only the attention products stay fp32");

        var state = encoder.Model.state_dict();
        foreach (var values in graph.Initializers.Where(t => t.Name.EndsWith(".weight.int8")))
        {
            string module = values.Name[..^".weight.int8".Length];
            var scales = graph.Initializers.Single(t => t.Name == module + ".weight.scale");
            Assert.That(values.DataType, Is.EqualTo(3), "int8");
            var expected = state[module + ".weight"].t().contiguous().data<float>().ToArray();   // [in, out]
            int columns = (int)values.Dims[1];
            var scale = Floats(bytes, scales);
            for (int i = 0; i < expected.Length; i++)
            {
                float restored = (sbyte)bytes[values.RawStart + i] * scale[i % columns];
                Assert.That(Math.Abs(restored - expected[i]), Is.LessThanOrEqualTo(scale[i % columns] / 2 * 1.0001f), $"{module} [{i / columns}, {i % columns}]");
            }
        }
        Assert.That(graph.Initializers.Count(t => t.Name.EndsWith(".weight.int8")), Is.EqualTo(6 * layers));
    }

    [Test]
    public void Int8EmbeddingsAreCloseToFp32ButQuantized()
    {
        var mlContext = new MLContext(1);
        using var encoder = OnnxTestModels.TinyEncoder(seed: 42);
        var int8 = Embeddings(mlContext, encoder, o => { o.Pooling = PoolingMode.Mean; o.InferenceEngine = InferenceEngine.OnnxRuntimeInt8; });
        var auto = Embeddings(mlContext, encoder, o => o.Pooling = PoolingMode.Mean);
        Assert.That(int8.InferenceEngine, Is.EqualTo(InferenceEngine.OnnxRuntimeInt8));
        Assert.That(auto.InferenceEngine, Is.EqualTo(InferenceEngine.OnnxRuntime), "Auto never picks int8");

        var expected = Values(int8.WithInferenceEngine(InferenceEngine.LibTorch).Transform(Rows(mlContext)), "Features");
        var actual = Values(int8.Transform(Rows(mlContext)), "Features");
        AssertApproximately(expected, actual, minCosine: MinCosine, "embeddings");
    }

    [Test]
    public void Int8ClassifierOutputsAreCloseToFp32ButQuantized()
    {
        TaskSpec[] tasks = [new("sentiment", TaskKind.Binary, 1), new("topic", TaskKind.Multiclass, 4)];
        var int8 = Classifier(tasks, InferenceEngine.OnnxRuntimeInt8);
        Assert.That(int8.InferenceEngine, Is.EqualTo(InferenceEngine.OnnxRuntimeInt8));
        var expected = int8.WithInferenceEngine(InferenceEngine.LibTorch).Predict(Texts, null);
        var actual = int8.Predict(Texts, null);
        for (int t = 0; t < tasks.Length; t++) AssertApproximately(expected[t], actual[t], minCosine: MinCosine, tasks[t].Name);
    }

    [Test]
    public void Int8IsRefusedWhereOnnxRuntimeCannotRunTheModel()
    {
        var mlContext = new MLContext(1);
        using var encoder = Recurrent();
        var error = Assert.Throws<NotSupportedException>(() => Embeddings(mlContext, encoder, o => o.InferenceEngine = InferenceEngine.OnnxRuntimeInt8));
        Assert.That(error!.Message, Does.Contain("InferenceEngine.OnnxRuntimeInt8 cannot run this model").And.Contain("LibTorch"));
    }

    /// <summary>Smallest cosine to fp32 allowed on the tiny random models (hidden 32, weights perturbed by N(0, 0.1)); measured ≥ 0.9997.</summary>
    private const double MinCosine = 0.999;

    private static void AssertApproximately(float[][] expected, float[][] actual, double minCosine, string what)
    {
        double diff = OnnxTestModels.MaxAbsDiff(expected, actual);
        double cosine = expected.Zip(actual, Cosine).Min();
        TestContext.Out.WriteLine($"{what}: int8 vs fp32 max |Δ| = {diff:E2}, min cosine {cosine:F6}");
        Assert.That(cosine, Is.GreaterThanOrEqualTo(minCosine), what);
        Assert.That(diff, Is.GreaterThan(1e-5), $"{what}: int8 outputs must differ from fp32, else nothing was quantized");
    }

    private static float[] Floats(byte[] model, OnnxTensor tensor) =>
        System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(model.AsSpan(tensor.RawStart, tensor.RawLength)).ToArray();
}
