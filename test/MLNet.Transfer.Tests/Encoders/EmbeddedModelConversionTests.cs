using System.Text;
using MLNet.Transfer.Checkpoints;
using MLNet.Transfer.Checkpoints.OnnxImport;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.Models;
using MLNet.Transfer.Onnx;
using MLNet.Transfer.Tests.Onnx;

namespace MLNet.Transfer.Tests.Encoders;

/// <summary>
/// The first use of an embedded model converts its ONNX weights into a Hugging Face directory in the model cache without
/// TorchSharp (<see cref="EmbeddedModels.Convert(byte[], byte[], string, string)"/>). The directory must be the one the
/// earlier conversion through TorchSharp tensors wrote, byte for byte, so caches written by either are interchangeable.
/// </summary>
public class EmbeddedModelConversionTests
{
    [Test]
    [Category("Unit")]
    public void TorchFreeConversionOfAnExportedTinyBertWritesTheTensorRoutesFilesWithTheModelsExactWeights()
    {
        using var temp = TestModels.TempDir();
        using var encoder = OnnxTestModels.TinyEncoder(seed: 4);
        byte[] onnx = OnnxTestModels.Bytes(s => encoder.WriteOnnx(s));
        byte[] vocab = Encoding.UTF8.GetBytes(string.Join("\n", OnnxTestModels.Vocabulary) + "\n");

        string converted = Path.Combine(temp.Path, "converted"), reference = Path.Combine(temp.Path, "reference");
        EmbeddedModels.Convert(onnx, vocab, "tiny (test)", converted);
        WriteThroughTensors(onnx, vocab, "tiny (test)", reference);

        AssertSameFiles(converted, reference);
        var weights = Safetensors.Load(Path.Combine(converted, ModelDirectory.WeightsFile));
        var original = encoder.Model.state_dict();
        Assert.That(weights.Keys, Is.EquivalentTo(original.Keys));
        foreach (var (name, tensor) in weights)
        {
            Assert.That(tensor.equal(original[name]).all().item<bool>(), Is.True, name); // the transposed [in, out] matrices included
            tensor.Dispose();
        }
    }

    [TestCase("minilm")]
    [TestCase("arctic-xs")]
    [Category("Integration")]
    public void TorchFreeConversionOfAnEmbeddedModelWritesTheSameCacheDirectoryAsTheTensorRoute(string name)
    {
        using var temp = TestModels.TempDir();
        var source = EmbeddedModelFiles.Find(name);
        byte[] onnx = source.ReadOnnx(), vocab = source.ReadVocab();

        string converted = Path.Combine(temp.Path, "converted"), reference = Path.Combine(temp.Path, "reference");
        EmbeddedModels.Convert(onnx, vocab, name, converted);
        WriteThroughTensors(onnx, vocab, name, reference);

        AssertSameFiles(converted, reference);
        Assert.That(new FileInfo(Path.Combine(converted, ModelDirectory.WeightsFile)).Length, Is.GreaterThan(80_000_000));
    }

    [Test]
    [Category("Integration")]
    public void TheFirstLoadOfAnEmbeddedModelIntoACleanCacheEmbedsOnOnnxRuntimeWithoutLoadingLibTorch()
    {
        using var temp = TestModels.TempDir();
        var child = ChildProcess.RunProgram(ChildProcess.DotnetHost(), [typeof(Program).Assembly.Location, FirstLoad], null, TimeSpan.FromMinutes(2),
                                            new Dictionary<string, string> { ["MLNET_TRANSFER_CACHE"] = temp.Path });
        Assert.That(child.ExitCode, Is.EqualTo(0), child.StandardError);
        string[] lines = child.StandardOutput.Trim().Split('\n');
        Assert.That(lines[^2].Split(' ').Select(v => float.Parse(v, System.Globalization.CultureInfo.InvariantCulture)),
            Is.EqualTo(new[] { 0.0677f, 0.0635f, 0.0487f, 0.0793f, 0.0374f }).Within(1e-4f), "sentence-transformers' reference (DESIGN.md)");
        Assert.That(lines[^1], Is.EqualTo("LibTorch loaded: False"));
        Assert.That(File.Exists(Path.Combine(temp.Path, $"minilm-{EmbeddedModelFiles.PackageVersion}", ModelDirectory.WeightsFile)), "the first load wrote the cache");
    }

    /// <summary>The child command of <see cref="TheFirstLoadOfAnEmbeddedModelIntoACleanCacheEmbedsOnOnnxRuntimeWithoutLoadingLibTorch"/>.</summary>
    internal const string FirstLoad = "first-load";

    /// <summary>Embeds the reference sentence with "minilm" through <c>TransferEmbeddingGenerator</c> (ONNX Runtime) and says whether LibTorch got loaded.</summary>
    internal static int RunFirstLoad()
    {
        using var generator = MLNet.Transfer.AI.TransferEmbeddingGenerator.Load("minilm");
        var vector = generator.GenerateAsync(["This is an example sentence"]).GetAwaiter().GetResult()[0].Vector.ToArray();
        Console.WriteLine(string.Join(" ", vector[..5].Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture))));
        Console.WriteLine($"LibTorch loaded: {MLNet.Transfer.Inference.LibTorchThreads.IsLoaded()}");
        return 0;
    }

    /// <summary>What the conversion did before it was TorchSharp-free: tensors from the importer, written by <see cref="HuggingFaceDirectory.Write(string, BertConfig, IReadOnlyDictionary{string, TorchSharp.torch.Tensor}, IEnumerable{string}, IReadOnlyDictionary{string, string}?, Text.BertWordPieceOptions?)"/>.</summary>
    private static void WriteThroughTensors(byte[] onnx, byte[] vocab, string source, string directory)
    {
        var weights = OnnxBertImporter.ReadWeights(onnx);
        try
        {
            var dims = BertWeightDimensions.Infer(weights);
            var config = BertConfig.MiniLmL6 with
            {
                NumHiddenLayers = dims.Layers, HiddenSize = dims.Hidden, IntermediateSize = dims.Intermediate,
                VocabSize = dims.VocabSize, MaxPositionEmbeddings = dims.MaxPositions, TypeVocabSize = dims.TypeVocabSize,
            };
            var vocabulary = Encoding.UTF8.GetString(vocab).Split('\n').Select(l => l.TrimEnd('\r')).ToList();
            while (vocabulary.Count > 0 && vocabulary[^1].Length == 0) vocabulary.RemoveAt(vocabulary.Count - 1);
            HuggingFaceDirectory.Write(directory, config, weights, vocabulary, new Dictionary<string, string> { ["source"] = source });
        }
        finally
        {
            foreach (var w in weights.Values) w.Dispose();
        }
    }

    private static void AssertSameFiles(string actual, string expected)
    {
        var names = Directory.GetFiles(expected).Select(Path.GetFileName).Order().ToList();
        Assert.That(Directory.GetFiles(actual).Select(Path.GetFileName).Order(), Is.EqualTo(names));
        Assert.That(names, Does.Contain(ModelDirectory.WeightsFile).And.Contain(ModelDirectory.ConfigFile).And.Contain(ModelDirectory.VocabFile));
        foreach (string file in names.Select(n => n!))
            Assert.That(File.ReadAllBytes(Path.Combine(actual, file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(expected, file))), Is.True, file);
    }
}
