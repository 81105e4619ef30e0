using Microsoft.ML;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.Inference;
using MLNet.Transfer.MLNetIntegration;
using MLNet.Transfer.Models.Heads;
using MLNet.Transfer.Models.Tagging;
using MLNet.Transfer.Tests.MLNetIntegration;
using MLNet.Transfer.Tests.Onnx;
using static MLNet.Transfer.Tests.Onnx.OnnxTestModels;

namespace MLNet.Transfer.Tests.Inference;

/// <summary>
/// A token classifier, and a multi-task model with tagging tasks, loaded from a model zip keep their weights in the file
/// until something needs the TorchSharp module, as the BERT sentence models do (<see cref="OnnxOnlyLoadTests"/>): ONNX
/// Runtime exports and decodes from the file (the in-memory model's results exactly), switching to LibTorch builds the
/// module then (the original's LibTorch results and weights exactly), and saving copies the weights unchanged.
/// </summary>
[Category("Unit")]
public class OnnxOnlyTaggerLoadTests
{
    private static TaggerSpec Spec(TaggingHead head, bool featuresOnly = false, int biLstm = 0, bool casing = false) =>
        new(OnnxTaggerExportTests.BioTags, head, featuresOnly, biLstm, casing);

    [TestCase(TaggingHead.Linear, false, 0, false)]
    [TestCase(TaggingHead.Crf, false, 0, true)]
    [TestCase(TaggingHead.Crf, true, 6, true)]
    [TestCase(TaggingHead.Linear, true, 0, false)]
    public void TheHeadShapesComputedWithoutTheModuleAreItsStateDict(TaggingHead head, bool featuresOnly, int biLstm, bool casing)
    {
        using var model = OnnxTaggerExportTests.Tagger(Spec(head, featuresOnly, biLstm, casing), seed: 3);
        var config = ((MLNet.Transfer.Models.Bert.BertModel)model.Encoder).Config;
        var expected = model.state_dict().Where(kv => !kv.Key.StartsWith("bert.", StringComparison.Ordinal)).Select(kv => $"{kv.Key} [{string.Join(",", kv.Value.shape)}]");
        Assert.That(TaggerModelSource.HeadWeights(config, model.Spec).Select(w => $"{w.Name} [{string.Join(",", w.Shape)}]"), Is.EqualTo(expected));

        var multi = MultiTaskTaggingEngineTests.MultiTask();
        var multiExpected = multi.Model.state_dict().Where(kv => !kv.Key.StartsWith("bert.", StringComparison.Ordinal)).Select(kv => $"{kv.Key} [{string.Join(",", kv.Value.shape)}]");
        Assert.That(TaskModelSource.HeadWeights(config, multi.Tasks, PoolingMode.Mean).Select(w => $"{w.Name} [{string.Join(",", w.Shape)}]"), Is.EquivalentTo(multiExpected));
    }

    [TestCase(TaggingHead.Crf, false, 0, true)]
    [TestCase(TaggingHead.Crf, true, 6, true)]
    [TestCase(TaggingHead.Linear, false, 0, false)]
    public void ALoadedTaggerRunsOnOnnxRuntimeWithoutItsTorchModuleSwitchesToLibTorchAndSavesTheSameWeights(TaggingHead head, bool featuresOnly, int biLstm, bool casing)
    {
        using var temp = TestModels.TempDir();
        var mlContext = new MLContext(1);
        var original = TaggerEngineTests.Tagger(Spec(head, featuresOnly, biLstm, casing));
        var data = TaggerEngineTests.Rows(mlContext);
        var expected = TaggerEngineTests.Tagged(original.Transform(data));
        var expectedTorch = TaggerEngineTests.Tagged(original.WithInferenceEngine(InferenceEngine.LibTorch).Transform(data));
        Assert.That(expected.Tags.SelectMany(t => t).Distinct().Count(), Is.GreaterThan(2), "tags vary, so the comparison means something");
        string first = Path.Combine(temp.Path, "first.zip"), second = Path.Combine(temp.Path, "second.zip");
        mlContext.Model.Save(original, data.Schema, first);

        var fresh = new MLContext(2).RegisterTransferComponents();
        var loaded = (TokenClassificationTransformer)fresh.Model.Load(first, out var schema);
        Assert.That(loaded.Encoder.IsMaterialized, Is.False, "loading defers the weights");
        Assert.That(loaded.InferenceEngine, Is.EqualTo(InferenceEngine.OnnxRuntime));
        var tagged = TaggerEngineTests.Tagged(loaded.Transform(TaggerEngineTests.Rows(fresh)));
        Assert.That(tagged.Tags, Is.EqualTo(expected.Tags), "ORT from the file vs ORT from the module");
        Assert.That(tagged.Scores, Is.EqualTo(expected.Scores));
        Assert.That(loaded.Predict([OnnxTaggerExportTests.Sentences[0]]), Is.EqualTo(original.Predict([OnnxTaggerExportTests.Sentences[0]])));
        Assert.That(loaded.Encoder.IsMaterialized, Is.False, "predicting on ONNX Runtime (CRF scores included) leaves the weights in the file");
        var onTorch = SaveStillDeferredThenSwitchToLibTorch(fresh, loaded, loaded.Encoder, schema, first, second, e => loaded.WithInferenceEngine(e));
        var torchTagged = TaggerEngineTests.Tagged(onTorch.Transform(TaggerEngineTests.Rows(fresh)));
        Assert.That(torchTagged.Tags, Is.EqualTo(expectedTorch.Tags), "LibTorch after a deferred load vs the original model");
        Assert.That(torchTagged.Scores, Is.EqualTo(expectedTorch.Scores));
        var built = loaded.Model.state_dict();
        foreach (var (name, tensor) in original.Model.state_dict())
            Assert.That(built[name].data<float>().ToArray(), Is.EqualTo(tensor.data<float>().ToArray()), $"{name}: the module built later holds the saved weights");

        var again = (TokenClassificationTransformer)new MLContext(3).RegisterTransferComponents().Model.Load(second, out _);
        Assert.That(TaggerEngineTests.Tagged(again.Transform(TaggerEngineTests.Rows(fresh))).Scores, Is.EqualTo(expected.Scores));
    }

    [Test]
    public void AFreshProcessTagsWithASavedTaggerOrMultiTaskModelWithoutLoadingLibTorch()
    {
        using var temp = TestModels.TempDir();
        var mlContext = new MLContext(1);
        var words = ChildCommands.TaggedSample(mlContext);
        foreach (var (name, model, column) in new (string, ITransformer, string)[]
                 {
                     ("tagger.zip", TaggerEngineTests.Tagger(Spec(TaggingHead.Crf, casing: true)), "Score"),
                     ("multitask.zip", MultiTaskTaggingEngineTests.MultiTask(), "ner.Score"),
                 })
        {
            string zip = Path.Combine(temp.Path, name);
            mlContext.Model.Save(model, words.Schema, zip);
            var expected = TextRows.Column(model.Transform(words), column);
            Assert.That(expected.SelectMany(l => l.Split(' ')).Distinct().Count(), Is.GreaterThan(10), $"{name}: scores vary, so equality means something");
            ChildCommands.AssertFreshProcessTagsWithoutLibTorch(zip, column, expected);
        }
    }

    /// <summary>
    /// Saves <paramref name="loaded"/> (loaded from <paramref name="first"/>, weights still deferred) to <paramref name="second"/>
    /// and asserts the weights were copied unchanged without building the module; then switches it to LibTorch, which builds it.
    /// </summary>
    private static T SaveStillDeferredThenSwitchToLibTorch<T>(MLContext fresh, T loaded, PretrainedEncoder encoder, DataViewSchema schema, string first,
                                                              string second, Func<InferenceEngine, T> withEngine) where T : ITransformer
    {
        fresh.Model.Save(loaded, schema, second);
        Assert.That(encoder.IsMaterialized, Is.False, "saving copies the weights from the file");
        Assert.That(OnnxOnlyLoadTests.Entry(second, "Weights.safetensors"), Is.EqualTo(OnnxOnlyLoadTests.Entry(first, "Weights.safetensors")),
                    "the saved weights are byte for byte the same");
        var onTorch = withEngine(InferenceEngine.LibTorch);
        Assert.That(encoder.IsMaterialized, Is.True, "LibTorch builds the module when asked");
        return onTorch;
    }

    [Test]
    public void ATaggerSavedForLibTorchLoadsAtOnce()
    {
        using var temp = TestModels.TempDir();
        var mlContext = new MLContext(1);
        var original = TaggerEngineTests.Tagger(Spec(TaggingHead.Crf), InferenceEngine.LibTorch);
        string zip = Path.Combine(temp.Path, "tagger.zip");
        mlContext.Model.Save(original, TaggerEngineTests.Rows(mlContext).Schema, zip);
        var loaded = (TokenClassificationTransformer)new MLContext(2).RegisterTransferComponents().Model.Load(zip, out _);
        Assert.That(loaded.InferenceEngine, Is.EqualTo(InferenceEngine.LibTorch));
        Assert.That(loaded.Encoder.IsMaterialized, Is.True, "no deferral (nor temporary copy of the weights) for a model that runs on LibTorch");
    }

    [Test]
    public void ALoadedMultiTaskModelWithTaggingTasksRunsOnOnnxRuntimeWithoutItsTorchModuleAndSavesTheSameWeights()
    {
        using var temp = TestModels.TempDir();
        var mlContext = new MLContext(1);
        var original = MultiTaskTaggingEngineTests.MultiTask();
        var data = MultiTaskTaggingEngineTests.Rows(mlContext);
        var expected = MultiTaskTaggingEngineTests.Outputs.Of(original.Transform(data));
        var expectedTorch = MultiTaskTaggingEngineTests.Outputs.Of(original.WithInferenceEngine(InferenceEngine.LibTorch).Transform(data));
        string first = Path.Combine(temp.Path, "first.zip"), second = Path.Combine(temp.Path, "second.zip");
        mlContext.Model.Save(original, data.Schema, first);

        var fresh = new MLContext(2).RegisterTransferComponents();
        var loaded = (FineTunedTextTransformer)fresh.Model.Load(first, out var schema);
        Assert.That(loaded.Encoder.IsMaterialized, Is.False, "loading defers the weights");
        Assert.That(loaded.InferenceEngine, Is.EqualTo(InferenceEngine.OnnxRuntime));
        MultiTaskTaggingEngineTests.Outputs.Of(loaded.Transform(MultiTaskTaggingEngineTests.Rows(fresh))).AssertMatches(expected, 0, "ORT from the file vs ORT from the module");
        Assert.That(loaded.PredictTags("ner", [OnnxTaggerExportTests.Sentences[0]]), Is.EqualTo(original.PredictTags("ner", [OnnxTaggerExportTests.Sentences[0]])));
        Assert.That(loaded.Encoder.IsMaterialized, Is.False, "predicting every task on ONNX Runtime leaves the weights in the file");
        var onTorch = SaveStillDeferredThenSwitchToLibTorch(fresh, loaded, loaded.Encoder, schema, first, second, e => loaded.WithInferenceEngine(e));
        MultiTaskTaggingEngineTests.Outputs.Of(onTorch.Transform(MultiTaskTaggingEngineTests.Rows(fresh))).AssertMatches(expectedTorch, 0, "LibTorch after a deferred load vs the original");
        var built = loaded.Model.state_dict();
        foreach (var (name, tensor) in original.Model.state_dict())
            Assert.That(built[name].data<float>().ToArray(), Is.EqualTo(tensor.data<float>().ToArray()), $"{name}: the module built later holds the saved weights");
    }
}
