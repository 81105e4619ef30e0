using MLNet.Transfer.Checkpoints.OnnxImport;
using Microsoft.ML.OnnxRuntime;
using MLNet.Transfer.Checkpoints;
using MLNet.Transfer.Onnx;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.Models;
using MLNet.Transfer.Models.Heads;
using MLNet.Transfer.Text;
using static MLNet.Transfer.Tests.Onnx.OnnxTestModels;

namespace MLNet.Transfer.Tests.Onnx;

/// <summary>
/// Tiny random models exported to ONNX and run in ONNX Runtime on one padded batch of texts of different lengths give
/// what TorchSharp gives (our predictor and embedder, which batch by length), within 1e-4.
/// </summary>
[Category("Unit")]
public class OnnxExportParityTests
{
    private const double Tolerance = 1e-4;

    [TestCase(PoolingMode.Cls, "gelu")]
    [TestCase(PoolingMode.Mean, "gelu_new")]
    [TestCase(PoolingMode.Max, "relu")]
    [TestCase(PoolingMode.MeanMax, "gelu")]
    public void TaskModelOutputsEveryHeadLikeTorchSharp(PoolingMode pooling, string activation)
    {
        var bert = TinyBert(seed: 11, activation);
        TaskSpec[] tasks =
        [
            new("sentiment", TaskKind.Binary, 1),
            new("topic", TaskKind.Multiclass, 3),
            new("stars", TaskKind.Regression, 1) { TargetMean = 3.2, TargetStd = 1.4 },
            new("tags", TaskKind.MultiLabel, 4),
        ];
        using var model = new TransferModel(bert, tasks, pooling, headDropout: 0.1);
        Perturb(model);
        model.eval();
        var tokenizer = BertWordPieceTokenizer.FromTokens(Vocabulary);
        var items = Texts.Select(t => tokenizer.Encode(t, 16)).ToList();
        items.Add(tokenizer.EncodePair("the film", "was great and very good", 16)); // second segment: token type 1

        var expected = new TaskPredictor(model, tokenizer.PadId, batchSize: 3).Predict(items);
        var outputs = Run(Bytes(s => OnnxExport.Write(model, s)), Pad(items, tokenizer.PadId));

        Assert.That(outputs.Keys, Is.EquivalentTo(new[]
        {
            "sentiment.logits", "sentiment.probabilities", "topic.logits", "topic.probabilities", "stars.prediction", "tags.logits", "tags.probabilities",
        }));
        for (int t = 0; t < tasks.Length; t++)
        {
            var output = outputs[OnnxExport.OutputName(tasks[t], tasks.Length)];
            Assert.That(output.Shape, Is.EqualTo(new[] { items.Count, tasks[t].Outputs }));
            var actual = Enumerable.Range(0, items.Count).Select(r => Row(output, r)).ToArray();
            double diff = MaxAbsDiff(expected[t], actual);
            TestContext.Out.WriteLine($"{pooling} {activation} {tasks[t].Name}: max |ORT − TorchSharp| = {diff:E2}");
            Assert.That(diff, Is.LessThanOrEqualTo(Tolerance), tasks[t].Name);
        }
        var probabilities = outputs["topic.probabilities"];
        var softmax = expected[1].Select(l => l.Select(v => MathF.Exp(v - l.Max())).ToArray()).Select(e => e.Select(v => v / e.Sum()).ToArray());
        Assert.That(MaxAbsDiff(softmax, Enumerable.Range(0, items.Count).Select(r => Row(probabilities, r))), Is.LessThanOrEqualTo(Tolerance));
        var sigmoid = expected[0].Select(l => new[] { 1 / (1 + MathF.Exp(-l[0])) });
        Assert.That(MaxAbsDiff(sigmoid, Enumerable.Range(0, items.Count).Select(r => Row(outputs["sentiment.probabilities"], r))), Is.LessThanOrEqualTo(Tolerance));
    }

    [Test]
    public void SingleTaskOutputsAreNamedLikeItsMlNetColumnsAndSequenceLengthIsDynamic()
    {
        using var model = new TransferModel(TinyBert(seed: 3), [new TaskSpec("task", TaskKind.Multiclass, 2)], PoolingMode.Mean, 0);
        Perturb(model);
        model.eval();
        var tokenizer = BertWordPieceTokenizer.FromTokens(Vocabulary);
        using var session = new InferenceSession(Bytes(s => OnnxExport.Write(model, s, new OnnxExportOptions { IncludeLastHiddenState = true })));
        Assert.That(session.OutputMetadata.Keys, Is.EquivalentTo(new[] { "logits", "probabilities", OnnxExport.LastHiddenState }));
        Assert.That(session.InputMetadata["input_ids"].Dimensions, Is.EqualTo(new[] { -1, -1 }), "batch and sequence are symbolic");

        // The same session serves batches of different shapes; each text alone equals the padded batch.
        var items = Texts.Select(t => tokenizer.Encode(t, 32)).ToList();
        var batched = Run(session, Pad(items, tokenizer.PadId));
        Assert.That(batched[OnnxExport.LastHiddenState].Shape, Is.EqualTo(new[] { items.Count, items.Max(i => i.Length), 32 }));
        var alone = items.Select(i => Row(Run(session, Pad([i], tokenizer.PadId))["logits"], 0)).ToArray();
        Assert.That(MaxAbsDiff(alone, Enumerable.Range(0, items.Count).Select(r => Row(batched["logits"], r))), Is.LessThanOrEqualTo(Tolerance));
        var expected = new TaskPredictor(model, tokenizer.PadId).Predict(items)[0];
        Assert.That(MaxAbsDiff(expected, alone), Is.LessThanOrEqualTo(Tolerance));
    }

    [TestCase(PoolingMode.Mean, LayerCombination.Average, false, null)]
    [TestCase(PoolingMode.Cls, LayerCombination.Average, true, new[] { 0, -1 })]
    [TestCase(PoolingMode.Max, LayerCombination.Concatenate, true, new[] { 1, 2 })]
    [TestCase(PoolingMode.MeanMax, LayerCombination.ScalarMix, false, new[] { 0, 1, 2 })]
    public void EncoderExportGivesTheSameSentenceEmbeddingsAsEmbed(PoolingMode pooling, LayerCombination combination, bool normalize, int[]? layers)
    {
        using var encoder = TinyEncoder(seed: 5);
        var settings = new EmbeddingSettings
        {
            Pooling = pooling, Combination = combination, Normalize = normalize, Layers = layers, MaxTokens = 16, BatchSize = 4,
            MixWeights = combination == LayerCombination.ScalarMix ? [0.5f, -1f, 2f] : null,
        };
        var expected = encoder.Embed(Texts, settings);
        var items = Texts.Select(t => encoder.Tokenizer.Encode(t, 16)).ToList();
        var outputs = Run(Bytes(s => encoder.WriteOnnx(s, settings)), Pad(items, encoder.Tokenizer.PadId));
        var output = outputs[OnnxExport.SentenceEmbedding];
        Assert.That(output.Shape, Is.EqualTo(new[] { Texts.Length, expected[0].Length }));
        double diff = MaxAbsDiff(expected, Enumerable.Range(0, Texts.Length).Select(r => Row(output, r)));
        TestContext.Out.WriteLine($"{pooling} {combination} normalize={normalize}: max |ORT − Embed| = {diff:E2}");
        Assert.That(diff, Is.LessThanOrEqualTo(Tolerance));
    }

    [Test]
    public void ExportedEncoderReadsBackThroughTheOnnxImporterWithItsMetadata()
    {
        using var encoder = TinyEncoder(seed: 9);
        var onnx = Bytes(s => encoder.WriteOnnx(s, new EmbeddingSettings { MaxTokens = 48 }, new OnnxExportOptions { Metadata = new Dictionary<string, string> { ["owner"] = "tests" } }));
        var weights = OnnxBertImporter.ReadWeights(onnx);
        var original = encoder.Model.state_dict();
        Assert.That(weights.Keys, Is.EquivalentTo(original.Keys));
        foreach (var (name, tensor) in weights)
        {
            Assert.That(tensor.shape, Is.EqualTo(original[name].shape), name);
            Assert.That(tensor.equal(original[name]).all().item<bool>(), Is.True, name);
            tensor.Dispose();
        }
        using var session = new InferenceSession(onnx);
        var metadata = session.ModelMetadata;
        Assert.That(metadata.ProducerName, Is.EqualTo("MLNet.Transfer"));
        var map = metadata.CustomMetadataMap;
        Assert.That(map["mlnet_transfer.vocab"].Split('\n'), Is.EqualTo(Vocabulary));
        Assert.That(map["mlnet_transfer.max_tokens"], Is.EqualTo("48"));
        Assert.That(map["mlnet_transfer.pooling"], Is.EqualTo("Mean"));
        Assert.That(map["owner"], Is.EqualTo("tests"));
        Assert.That(BertConfig.FromJson(map["mlnet_transfer.config"]).HiddenSize, Is.EqualTo(32));
    }

    [Test]
    public void WindowedEmbeddingsAndDecodersAreRefusedWithAReason()
    {
        using var encoder = TinyEncoder(seed: 1);
        Assert.That(() => encoder.WriteOnnx(new MemoryStream(), new EmbeddingSettings { MaxTokens = 16, WindowStride = 8 }),
            Throws.InstanceOf<NotSupportedException>().With.Message.Contain("WindowStride"));
        using var decoder = new MLNet.Transfer.Models.Bert.BertModel(TestModels.TinyConfig(Vocabulary.Length) with { IsDecoder = true });
        using var model = new TransferModel(decoder, [new TaskSpec("task", TaskKind.Binary, 1)], PoolingMode.Cls, 0);
        Assert.That(() => OnnxExport.Write(model, new MemoryStream()), Throws.InstanceOf<NotSupportedException>().With.Message.Contain("causal"));
    }
}
