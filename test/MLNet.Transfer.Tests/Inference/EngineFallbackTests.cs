using Microsoft.ML;
using MLNet.Transfer.MLNetIntegration;
using MLNet.Transfer.Models.Heads;
using static MLNet.Transfer.Tests.Inference.EngineTestModels;

namespace MLNet.Transfer.Tests.Inference;

/// <summary>
/// Auto runs what ONNX Runtime cannot run (a recurrent encoder, pooling outside the export, bf16 inference) on LibTorch;
/// an explicit OnnxRuntime choice is then a clear error that names the reason and the alternatives.
/// </summary>
[Category("Unit")]
public class EngineFallbackTests
{
    [Test]
    public void RecurrentEmbeddingsFallBackToLibTorchUnderAutoAndRefuseOnnxRuntime()
    {
        var mlContext = new MLContext(1);
        using var encoder = Recurrent();
        var auto = Embeddings(mlContext, encoder, o => o.Pooling = PoolingMode.Mean);
        Assert.That(auto.InferenceEngine, Is.EqualTo(InferenceEngine.LibTorch));
        var vectors = Values(auto.Transform(Rows(mlContext)), "Features");
        Assert.That(vectors, Has.Length.EqualTo(Texts.Length));
        Assert.That(vectors.Select(v => v[0]).Distinct().Count(), Is.GreaterThan(2));

        var error = Assert.Throws<NotSupportedException>(() => Embeddings(mlContext, encoder, o => o.InferenceEngine = InferenceEngine.OnnxRuntime));
        Assert.That(error!.Message, Does.Contain("InferenceEngine.OnnxRuntime cannot run this model").And.Contain("awd-lstm").And.Contain("LibTorch"));
    }

    [Test]
    public void RecurrentClassifiersFallBackToLibTorchUnderAutoAndRefuseOnnxRuntime()
    {
        using var encoder = Recurrent();
        TaskSpec[] tasks = [new("task", TaskKind.Binary, 1)];
        var auto = Classifier(encoder, encoder.Model, tasks, InferenceEngine.Auto);
        Assert.That(auto.InferenceEngine, Is.EqualTo(InferenceEngine.LibTorch));
        Assert.That(auto.Predict(["a b c", "c b a d"], null)[0], Has.Length.EqualTo(2));
        var error = Assert.Throws<NotSupportedException>(() => Classifier(encoder, encoder.Model, tasks, InferenceEngine.OnnxRuntime));
        Assert.That(error!.Message, Does.Contain("awd-lstm"));
    }

    [Test]
    public void PoolingOutsideTheExportAndBFloat16RunOnLibTorch()
    {
        var mlContext = new MLContext(1);
        using var encoder = Onnx.OnnxTestModels.TinyEncoder(seed: 41);
        var last = Embeddings(mlContext, encoder, o => o.Pooling = PoolingMode.Last);
        Assert.That(last.InferenceEngine, Is.EqualTo(InferenceEngine.LibTorch));
        Assert.That(() => Embeddings(mlContext, encoder, o => { o.Pooling = PoolingMode.Last; o.InferenceEngine = InferenceEngine.OnnxRuntime; }),
                    Throws.TypeOf<NotSupportedException>().With.Message.Contain("Last pooling"));

        encoder.UseBFloat16Inference();
        var bf16 = Embeddings(mlContext, encoder, o => o.Pooling = PoolingMode.Mean);
        Assert.That(bf16.InferenceEngine, Is.EqualTo(InferenceEngine.LibTorch), "the user's opt-in bf16 runs on LibTorch");
    }

    [Test]
    public void AnUndefinedEngineIsRejectedByName()
    {
        var mlContext = new MLContext(1);
        using var encoder = Onnx.OnnxTestModels.TinyEncoder(seed: 42);
        Assert.That(() => Embeddings(mlContext, encoder, o => o.InferenceEngine = (InferenceEngine)7),
                    Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contain("InferenceEngine must be one of Auto, OnnxRuntime, LibTorch"));
    }
}
