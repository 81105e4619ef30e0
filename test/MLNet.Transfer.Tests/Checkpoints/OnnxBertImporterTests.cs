using MLNet.Transfer.Checkpoints.OnnxImport;
using System.Diagnostics;
using MLNet.Transfer.Checkpoints;
using TorchSharp;

namespace MLNet.Transfer.Tests.Checkpoints;

[Category("Integration")]
public class OnnxBertImporterTests
{
    [TestCase("minilm", true)]
    [TestCase("arctic-xs", false)]
    public void EmbeddedModelHasEveryBertWeightWithItsExactShape(string name, bool hasPooler)
    {
        var weights = OnnxBertImporter.ReadWeights(EmbeddedModelFiles.Find(name));
        try
        {
            var expected = new Dictionary<string, long[]>
            {
                ["embeddings.word_embeddings.weight"] = [30522, 384],
                ["embeddings.position_embeddings.weight"] = [512, 384],
                ["embeddings.token_type_embeddings.weight"] = [2, 384],
                ["embeddings.LayerNorm.weight"] = [384],
                ["embeddings.LayerNorm.bias"] = [384],
            };
            for (int i = 0; i < 6; i++)
            {
                string p = $"encoder.layer.{i}.";
                foreach (string linear in new[] { "attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense" })
                {
                    expected[p + linear + ".weight"] = [384, 384];
                    expected[p + linear + ".bias"] = [384];
                }
                expected[p + "attention.output.LayerNorm.weight"] = [384];
                expected[p + "attention.output.LayerNorm.bias"] = [384];
                expected[p + "intermediate.dense.weight"] = [1536, 384];
                expected[p + "intermediate.dense.bias"] = [1536];
                expected[p + "output.dense.weight"] = [384, 1536];
                expected[p + "output.dense.bias"] = [384];
                expected[p + "output.LayerNorm.weight"] = [384];
                expected[p + "output.LayerNorm.bias"] = [384];
            }
            if (hasPooler)
            {
                expected["pooler.dense.weight"] = [384, 384];
                expected["pooler.dense.bias"] = [384];
            }

            Assert.That(expected, Has.Count.EqualTo(5 + 6 * 16 + (hasPooler ? 2 : 0)));
            Assert.That(weights.Keys, Is.EquivalentTo(expected.Keys));
            foreach (var (key, shape) in expected)
            {
                Assert.That(weights[key].shape, Is.EqualTo(shape), key);
                Assert.That(weights[key].dtype, Is.EqualTo(torch.ScalarType.Float32), key);
                Assert.That(weights[key].device_type, Is.EqualTo(DeviceType.CPU), key);
                Assert.That(weights[key].is_contiguous(), Is.True, key);
            }
            Assert.That(BertWeightDimensions.Infer(weights),
                Is.EqualTo(new BertWeightDimensions(Layers: 6, Hidden: 384, Intermediate: 1536, VocabSize: 30522,
                    MaxPositions: 512, TypeVocabSize: 2, HasPooler: hasPooler)));
        }
        finally
        {
            foreach (var tensor in weights.Values) tensor.Dispose();
        }
    }

    [Test]
    public void ReturnedWeightsOutliveTheCallersDisposeScope()
    {
        Dictionary<string, torch.Tensor> weights;
        using (torch.NewDisposeScope())
        {
            weights = OnnxBertImporter.ReadWeights(EmbeddedModelFiles.Find("arctic-xs"));
        }
        try
        {
            Assert.That(weights.Values.All(t => !t.IsInvalid), Is.True);
            Assert.That(weights["embeddings.LayerNorm.weight"].abs().sum().item<float>(), Is.GreaterThan(0f));
        }
        finally
        {
            foreach (var tensor in weights.Values) tensor.Dispose();
        }
    }

    [Test]
    public void ImportOfMiniLmTakesWellUnderOneSecond()
    {
        var source = EmbeddedModelFiles.Find("minilm");
        var readClock = Stopwatch.StartNew();
        byte[] onnx = source.ReadOnnx();
        readClock.Stop();
        var firstClock = Stopwatch.StartNew();
        OnnxBertImporter.ReadWeights(onnx).Values.ToList().ForEach(t => t.Dispose()); // first call pays JIT (+ LibTorch load if first)
        firstClock.Stop();

        var clock = Stopwatch.StartNew();
        var weights = OnnxBertImporter.ReadWeights(onnx);
        clock.Stop();
        foreach (var tensor in weights.Values) tensor.Dispose();

        TestContext.Out.WriteLine(
            $"minilm: read {onnx.Length / 1e6:F1} MB from the DLL in {readClock.Elapsed.TotalMilliseconds:F0} ms; " +
            $"parse + {weights.Count} tensors in {clock.Elapsed.TotalMilliseconds:F0} ms (first call {firstClock.Elapsed.TotalMilliseconds:F0} ms)");
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(1)));
    }

    [TestCase(0)]
    [TestCase(1)]
    [TestCase(1_000)]
    [TestCase(40_000)]
    [TestCase(30_000_000)]
    [TestCase(45_000_000)]
    [TestCase(90_000_000)]
    public void TruncatedModelThrowsInvalidDataException(int keep)
    {
        byte[] onnx = EmbeddedModelFiles.Find("minilm").ReadOnnx();

        var error = Assert.Throws<InvalidDataException>(() => OnnxBertImporter.ReadWeights(onnx.AsSpan(0, keep)));

        Assert.That(error!.Message, Does.Contain("ONNX file"));
        TestContext.Out.WriteLine(error.Message);
    }

    [Test]
    public void CorruptedHeaderBytesNeverEscapeAsAnythingButInvalidDataException()
    {
        byte[] onnx = EmbeddedModelFiles.Find("arctic-xs").ReadOnnx();
        var random = new Random(12345);
        int rejected = 0, trials = 30;
        for (int trial = 0; trial < trials; trial++)
        {
            // Flip bytes in the node section and first initializer headers (before any weight data).
            int[] at = [random.Next(0, 121_000), random.Next(0, 121_000), random.Next(0, 121_000)];
            byte[] saved = at.Select(i => onnx[i]).ToArray();
            foreach (int i in at) onnx[i] = (byte)random.Next(256);
            try
            {
                foreach (var tensor in OnnxBertImporter.ReadWeights(onnx).Values) tensor.Dispose();
            }
            catch (InvalidDataException)
            {
                rejected++;
            }
            for (int j = at.Length - 1; j >= 0; j--) onnx[at[j]] = saved[j];
        }
        TestContext.Out.WriteLine($"{rejected} of {trials} corrupted copies were rejected; the rest only changed names or values.");
        Assert.That(rejected, Is.InRange(1, trials));
    }

    [Test]
    public void MatrixWhoseBiasCannotBeFoundIsNamedInTheError()
    {
        byte[] onnx = EmbeddedModelFiles.Find("minilm").ReadOnnx();
        // The first occurrence of the bias name is the Add node's input (nodes precede initializers):
        // renaming it there leaves the query MatMul's weight without a named bias.
        Replace(onnx, "encoder.layer.0.attention.self.query.bias", "encoder.layer.0.attention.self.query.bia_", last: false);

        var error = Assert.Throws<InvalidDataException>(() => OnnxBertImporter.ReadWeights(onnx));

        Assert.That(error!.Message, Does.Contain("ONNX initializer '").And.Contain("[384, 384]").And.Contain("MatMul"));
        TestContext.Out.WriteLine(error.Message);
    }

    [Test]
    public void MissingBertWeightIsNamedInTheError()
    {
        byte[] onnx = EmbeddedModelFiles.Find("arctic-xs").ReadOnnx();
        // The last occurrence is the initializer's own name (initializers follow the nodes).
        Replace(onnx, "encoder.layer.5.output.LayerNorm.weight", "encoder.layer.5.output.LayerNorm.weighX", last: true);

        var error = Assert.Throws<InvalidDataException>(() => OnnxBertImporter.ReadWeights(onnx));

        Assert.That(error!.Message, Is.EqualTo("BERT weight 'encoder.layer.5.output.LayerNorm.weight' is missing."));
    }

    [Test]
    public void StreamOverloadReadsTheSameWeights()
    {
        var source = EmbeddedModelFiles.Find("arctic-xs");
        using var scope = torch.NewDisposeScope();
        using var stream = source.OpenOnnx();
        var fromStream = OnnxBertImporter.ReadWeights(stream);
        var fromBytes = OnnxBertImporter.ReadWeights(source.ReadOnnx());
        foreach (var tensor in fromStream.Values.Concat(fromBytes.Values)) tensor.MoveToOtherDisposeScope(scope);

        Assert.That(fromStream.Keys, Is.EquivalentTo(fromBytes.Keys));
        foreach (var key in fromBytes.Keys)
            Assert.That(fromStream[key].eq(fromBytes[key]).all().item<bool>(), Is.True, key);
    }

    private static void Replace(byte[] buffer, string find, string replacement, bool last)
    {
        byte[] from = System.Text.Encoding.UTF8.GetBytes(find), to = System.Text.Encoding.UTF8.GetBytes(replacement);
        Assert.That(to, Has.Length.EqualTo(from.Length));
        int at = last ? buffer.AsSpan().LastIndexOf(from) : buffer.AsSpan().IndexOf(from);
        Assert.That(at, Is.GreaterThanOrEqualTo(0), find);
        to.CopyTo(buffer, at);
    }

    [Test]
    public void NonOnnxBytesThrowInvalidDataException()
    {
        byte[] text = "hello world, this is not an ONNX model"u8.ToArray();
        Assert.Throws<InvalidDataException>(() => OnnxBertImporter.ReadWeights(text));
        Assert.Throws<InvalidDataException>(() => OnnxBertImporter.ReadWeights(new MemoryStream(text)));
    }
}
