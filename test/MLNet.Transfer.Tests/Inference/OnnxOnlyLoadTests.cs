using System.IO.Compression;
using Microsoft.ML;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.MLNetIntegration;
using MLNet.Transfer.Models.Heads;
using MLNet.Transfer.Tests.Onnx;
using TorchSharp;
using static MLNet.Transfer.Tests.Inference.EngineTestModels;

namespace MLNet.Transfer.Tests.Inference;

/// <summary>
/// A BERT loaded on the CPU from a model directory or a model zip keeps its weights in the file until something needs the
/// TorchSharp module: the ONNX Runtime engine exports straight from the file (same vectors as from the module), switching to
/// LibTorch builds the module then (same vectors as a model loaded at once), and saving copies the weights unchanged.
/// </summary>
[Category("Unit")]
public class OnnxOnlyLoadTests
{
    [Test]
    public void AnEncoderLoadedFromADirectoryEmbedsOnOnnxRuntimeWithoutItsTorchModuleUntilSwitchedToLibTorch()
    {
        using var temp = TestModels.TempDir();
        using var original = OnnxTestModels.TinyEncoder(seed: 61);
        original.Save(temp.Path);
        var mlContext = new MLContext(1);
        void Configure(ContextualEmbeddingOptions o) { o.Pooling = PoolingMode.Mean; o.Normalize = true; }
        var expectedOrt = Values(Embeddings(mlContext, original, Configure).Transform(Rows(mlContext)), "Features");
        var expectedTorch = Values(Embeddings(mlContext, original, o => { Configure(o); o.InferenceEngine = InferenceEngine.LibTorch; }).Transform(Rows(mlContext)), "Features");

        using var loaded = PretrainedEncoder.Load(temp.Path);
        Assert.That(loaded.IsMaterialized, Is.False, "loading defers the weights");
        var onOrt = Embeddings(mlContext, loaded, Configure);
        Assert.That(onOrt.InferenceEngine, Is.EqualTo(InferenceEngine.OnnxRuntime));
        var ortVectors = Values(onOrt.Transform(Rows(mlContext)), "Features");
        Assert.That(loaded.IsMaterialized, Is.False, "the ONNX Runtime engine exports from the file");
        AssertClose(expectedOrt, ortVectors, 0, "ORT from the file vs ORT from the module");

        var onTorch = onOrt.WithInferenceEngine(InferenceEngine.LibTorch);
        var torchVectors = Values(onTorch.Transform(Rows(mlContext)), "Features");
        Assert.That(loaded.IsMaterialized, Is.True, "LibTorch builds the module when asked");
        AssertClose(expectedTorch, torchVectors, 0, "LibTorch after a deferred load vs loaded at once");
        AssertClose(ortVectors, torchVectors, 1e-5, "deferred load, ORT vs LibTorch");
    }

    [Test]
    public void ALoadedEmbeddingModelRunsOnOnnxRuntimeWithoutItsTorchModuleAndSavesTheSameWeights()
    {
        using var temp = TestModels.TempDir();
        using var encoder = OnnxTestModels.TinyEncoder(seed: 62);
        var mlContext = new MLContext(1);
        var original = Embeddings(mlContext, encoder, o => { o.Pooling = PoolingMode.Cls; o.Normalize = false; });
        var expected = Values(original.Transform(Rows(mlContext)), "Features");
        string first = Path.Combine(temp.Path, "first.zip"), second = Path.Combine(temp.Path, "second.zip");
        mlContext.Model.Save(original, Rows(mlContext).Schema, first);

        var fresh = new MLContext(2).RegisterTransferComponents();
        var loaded = (ContextualEmbeddingTransformer)fresh.Model.Load(first, out var schema);
        Assert.That(Values(loaded.Transform(Rows(fresh)), "Features"), Is.EqualTo(expected));
        Assert.That(loaded.Encoder.IsMaterialized, Is.False, "predicting on ONNX Runtime leaves the weights in the file");
        fresh.Model.Save(loaded, schema, second);
        Assert.That(loaded.Encoder.IsMaterialized, Is.False, "saving copies the weights from the file");
        Assert.That(Entry(second, "Weights.safetensors"), Is.EqualTo(Entry(first, "Weights.safetensors")), "the saved weights are byte for byte the same");

        var again = (ContextualEmbeddingTransformer)new MLContext(3).RegisterTransferComponents().Model.Load(second, out _);
        Assert.That(Values(again.Transform(Rows(fresh)), "Features"), Is.EqualTo(expected));
        var onTorch = again.WithInferenceEngine(InferenceEngine.LibTorch);
        AssertClose(expected, Values(onTorch.Transform(Rows(fresh)), "Features"), 1e-5, "reloaded, ORT vs LibTorch");
        Assert.That(again.Encoder.IsMaterialized, Is.True);
    }

    [Test]
    public void ALoadedClassifierRunsOnOnnxRuntimeWithoutItsTorchModuleSwitchesToLibTorchAndSavesTheSameWeights()
    {
        using var temp = TestModels.TempDir();
        var mlContext = new MLContext(1);
        var original = Classifier([new TaskSpec("sentiment", TaskKind.Binary, 1), new TaskSpec("topic", TaskKind.Multiclass, 3), new TaskSpec("stars", TaskKind.Regression, 1)]);
        var data = Rows(mlContext);
        string[] columns = ["sentiment.Probability", "topic.Score", "stars.Score"];
        var expected = columns.Select(c => Values(original.Transform(data), c)).ToArray();
        var expectedTorch = columns.Select(c => Values(original.WithInferenceEngine(InferenceEngine.LibTorch).Transform(data), c)).ToArray();
        string first = Path.Combine(temp.Path, "first.zip"), second = Path.Combine(temp.Path, "second.zip");
        mlContext.Model.Save(original, data.Schema, first);

        var fresh = new MLContext(2).RegisterTransferComponents();
        var loaded = (FineTunedTextTransformer)fresh.Model.Load(first, out var schema);
        Assert.That(loaded.InferenceEngine, Is.EqualTo(InferenceEngine.OnnxRuntime));
        Assert.That(columns.Select(c => Values(loaded.Transform(Rows(fresh)), c)).ToArray(), Is.EqualTo(expected));
        Assert.That(loaded.Encoder.IsMaterialized, Is.False, "predicting on ONNX Runtime leaves the weights in the file");
        fresh.Model.Save(loaded, schema, second);
        Assert.That(loaded.Encoder.IsMaterialized, Is.False, "saving copies the weights from the file");
        Assert.That(Entry(second, "Weights.safetensors"), Is.EqualTo(Entry(first, "Weights.safetensors")), "the saved weights are byte for byte the same");

        var onTorch = loaded.WithInferenceEngine(InferenceEngine.LibTorch);
        var torchValues = columns.Select(c => Values(onTorch.Transform(Rows(fresh)), c)).ToArray();
        Assert.That(loaded.Encoder.IsMaterialized, Is.True, "LibTorch builds the module when asked");
        for (int c = 0; c < columns.Length; c++)
        {
            Assert.That(torchValues[c], Is.EqualTo(expectedTorch[c]), $"{columns[c]}: LibTorch after a deferred load vs the original model");
            Assert.That(OnnxTestModels.MaxAbsDiff(expected[c], torchValues[c]), Is.LessThanOrEqualTo(1e-5), $"{columns[c]}: ORT vs LibTorch");
        }
        var again = (FineTunedTextTransformer)new MLContext(3).RegisterTransferComponents().Model.Load(second, out _);
        Assert.That(columns.Select(c => Values(again.Transform(Rows(fresh)), c)).ToArray(), Is.EqualTo(expected));
    }

    [Test]
    public void AModuleBuiltOnFirstUseInsideADisposeScopeAndInferenceModeStaysWholeAndTrainable()
    {
        using var temp = TestModels.TempDir();
        using (var original = OnnxTestModels.TinyEncoder(seed: 65)) original.Save(temp.Path);
        using var loaded = PretrainedEncoder.Load(temp.Path);
        using (var scope = torch.NewDisposeScope())
        using (var mode = torch.inference_mode())
            Assert.That(loaded.Model.state_dict(), Has.Count.EqualTo(5 + 16 * 2));
        var parameters = loaded.Model.state_dict();
        Assert.That(parameters, Has.Count.EqualTo(5 + 16 * 2), "no parameter was freed with the caller's scope");
        loaded.Model.train();
        using var ids = torch.tensor(new long[] { 2, 5, 7, 3 }).unsqueeze(0);
        using var types = torch.zeros_like(ids);
        using var loss = loaded.Model.Forward(ids, types, null)[^1].sum();
        loss.backward();
        Assert.That(parameters["embeddings.word_embeddings.weight"].grad, Is.Not.Null, "the parameters take gradients (not inference tensors)");
    }

    [Test]
    public void AWeightFileChangedInPlaceAfterADeferredLoadIsRefusedWhenTheModuleIsBuilt()
    {
        using var temp = TestModels.TempDir();
        using (var original = OnnxTestModels.TinyEncoder(seed: 63)) original.Save(temp.Path);
        using var loaded = PretrainedEncoder.Load(temp.Path);
        string weights = Path.Combine(temp.Path, "model.safetensors");
        using (var file = new FileStream(weights, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete))
            file.SetLength(file.Length + 8); // the same file, changed where it is
        var error = Assert.Throws<InvalidOperationException>(() => _ = loaded.Model);
        Assert.That(error!.Message, Does.Contain("changed after the model was loaded"));
    }

    [Test]
    public void AWeightFileThatDoesNotFitTheConfigStillFailsAtLoadNamingTheTensor()
    {
        using var temp = TestModels.TempDir();
        using (var original = OnnxTestModels.TinyEncoder(seed: 64)) original.Save(temp.Path);
        string config = Path.Combine(temp.Path, "config.json");
        File.WriteAllText(config, File.ReadAllText(config).Replace("\"intermediate_size\": 64", "\"intermediate_size\": 48"));
        Assert.That(File.ReadAllText(config), Does.Contain("\"intermediate_size\": 48"), "the tiny model's config changed");
        var error = Assert.Throws<InvalidDataException>(() => PretrainedEncoder.Load(temp.Path));
        Assert.That(error!.Message, Does.Contain("intermediate.dense.weight"));
    }

    internal static byte[] Entry(string zip, string suffix)
    {
        using var archive = ZipFile.OpenRead(zip);
        var entry = archive.Entries.Single(e => e.FullName.EndsWith(suffix, StringComparison.Ordinal));
        using var stream = entry.Open();
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
