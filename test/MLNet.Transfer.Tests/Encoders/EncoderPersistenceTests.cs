using MLNet.Transfer.Checkpoints;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.Models;
using MLNet.Transfer.Models.Bert;
using static TorchSharp.torch;

namespace MLNet.Transfer.Tests.Encoders;

/// <summary>Hugging Face directories round-trip, and broken ones fail with errors that name the file and problem.</summary>
public class EncoderPersistenceTests
{
    private static readonly string[] Texts = ["A wonderful, moving film.", "", "Terrible service; never again!"];

    [Category("Integration")]
    [Test]
    public void EmbeddedModelSavedAsDirectoryLoadsBackWithIdenticalOutputs()
    {
        using var temp = TestModels.TempDir();
        TestModels.MiniLm.Save(temp.Path);
        Assert.That(File.Exists(Path.Combine(temp.Path, "config.json")) && File.Exists(Path.Combine(temp.Path, "vocab.txt")) &&
                    File.Exists(Path.Combine(temp.Path, "model.safetensors")));
        using var reloaded = PretrainedEncoder.Load(temp.Path);
        var settings = new EmbeddingSettings { Pooling = PoolingMode.MeanMax };
        var expected = TestModels.MiniLm.Embed(Texts, settings);
        var actual = reloaded.Embed(Texts, settings);
        Assert.That(actual, Is.EqualTo(expected));
        Assert.That(((BertModel)reloaded.Model).Config with { Architectures = null }, Is.EqualTo(((BertModel)TestModels.MiniLm.Model).Config with { Architectures = null }));
    }

    [Category("Integration")]
    [Test]
    public void SecondLoadOfEmbeddedModelComesFromTheCacheQuickly()
    {
        _ = TestModels.MiniLm; // first load converted it
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var again = PretrainedEncoder.Load("all-MiniLM-L6-v2");
        TestContext.Out.WriteLine($"cached load: {clock.ElapsedMilliseconds} ms");
        Assert.That(again.Name, Is.EqualTo("minilm"));
        Assert.That(Directory.Exists(EmbeddedModels.EnsureDirectory("minilm")));
    }

    [Category("Integration")]
    [Test]
    public void NullTextIsAClearArgumentError()
    {
        var error = Assert.Throws<ArgumentNullException>(() => TestModels.MiniLm.Embed(["ok", null!]));
        Assert.That(error!.Message, Does.Contain("index 1"));
    }

    [Category("Integration")]
    [Test]
    public void UnknownModelNameIsAClearError()
    {
        var error = Assert.Throws<ArgumentException>(() => PretrainedEncoder.Load("no-such-model"));
        Assert.That(error!.Message, Does.Contain("no-such-model").And.Contain("minilm"));
    }

    private static string WriteTinyDirectory(string path)
    {
        var config = TestModels.TinyConfig(vocabSize: 8);
        using var model = new BertModel(config);
        HuggingFaceDirectory.Write(path, config, model.state_dict(), ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "world", "!"]);
        return path;
    }

    [Category("Unit")]
    [Test]
    public void TruncatedWeightsFileNamesTheFile()
    {
        using var temp = TestModels.TempDir();
        string weights = Path.Combine(WriteTinyDirectory(temp.Path), "model.safetensors");
        var bytes = File.ReadAllBytes(weights);
        File.WriteAllBytes(weights, bytes[..(bytes.Length / 2)]);
        var error = Assert.Throws<InvalidDataException>(() => PretrainedEncoder.Load(temp.Path));
        Assert.That(error!.Message, Does.Contain("model.safetensors").And.Contain("truncated").IgnoreCase);
    }

    [Category("Unit")]
    [Test]
    public void CorruptHeaderLengthFailsFastWithoutAllocating()
    {
        using var temp = TestModels.TempDir();
        string weights = Path.Combine(WriteTinyDirectory(temp.Path), "model.safetensors");
        using (var stream = File.OpenWrite(weights)) stream.Write(BitConverter.GetBytes(long.MaxValue / 2));
        var error = Assert.Throws<InvalidDataException>(() => PretrainedEncoder.Load(temp.Path));
        Assert.That(error!.Message, Does.Contain("header length"));
    }

    [Category("Unit")]
    [Test]
    public void ConfigThatDoesNotMatchTheWeightsNamesTheTensor()
    {
        using var temp = TestModels.TempDir();
        WriteTinyDirectory(temp.Path);
        string configPath = Path.Combine(temp.Path, "config.json");
        File.WriteAllText(configPath, (TestModels.TinyConfig(8) with { IntermediateSize = 48 }).ToJson());
        var error = Assert.Throws<InvalidDataException>(() => PretrainedEncoder.Load(temp.Path));
        Assert.That(error!.Message, Does.Contain("intermediate.dense.weight").And.Contain("shape"));
    }

    [Category("Unit")]
    [Test]
    public void InvalidConfigAndMissingVocabAreNamed()
    {
        using var temp = TestModels.TempDir();
        WriteTinyDirectory(temp.Path);
        File.WriteAllText(Path.Combine(temp.Path, "config.json"), "{ \"model_type\": \"bert\", \"hidden_size\": 30, \"num_attention_heads\": 4 }");
        Assert.That(() => PretrainedEncoder.Load(temp.Path), Throws.InstanceOf<InvalidDataException>().With.Message.Contain("num_attention_heads"));
        File.WriteAllText(Path.Combine(temp.Path, "config.json"), "{ \"model_type\": \"gpt2\" }");
        Assert.That(() => PretrainedEncoder.Load(temp.Path), Throws.InstanceOf<NotSupportedException>().With.Message.Contain("gpt2"));
        File.WriteAllText(Path.Combine(temp.Path, "config.json"), "{ not json");
        Assert.That(() => PretrainedEncoder.Load(temp.Path), Throws.InstanceOf<InvalidDataException>().With.Message.Contain("config.json"));

        WriteTinyDirectory(temp.Path);
        File.Delete(Path.Combine(temp.Path, "vocab.txt"));
        Assert.That(() => PretrainedEncoder.Load(temp.Path), Throws.InstanceOf<FileNotFoundException>().With.Message.Contain("vocab.txt"));
    }

    [Category("Unit")]
    [Test]
    public void PickleWeightsAreRefusedWithInstructions()
    {
        using var temp = TestModels.TempDir();
        WriteTinyDirectory(temp.Path);
        File.Move(Path.Combine(temp.Path, "model.safetensors"), Path.Combine(temp.Path, "pytorch_model.bin"));
        Assert.That(() => PretrainedEncoder.Load(temp.Path), Throws.InstanceOf<NotSupportedException>().With.Message.Contain("safetensors"));
    }

    [Category("Unit")]
    [Test]
    public void DirectoryWithTokenizerJsonInsteadOfVocabTxtLoads()
    {
        using var temp = TestModels.TempDir();
        WriteTinyDirectory(temp.Path);
        using var withVocab = PretrainedEncoder.Load(temp.Path);
        var expected = withVocab.Embed(["Hello world!"]);
        string vocabPath = Path.Combine(temp.Path, "vocab.txt");
        var vocab = File.ReadAllLines(vocabPath).Select((token, id) => (token, id)).ToDictionary(p => p.token, p => p.id);
        File.Delete(vocabPath);
        File.WriteAllText(Path.Combine(temp.Path, "tokenizer.json"), System.Text.Json.JsonSerializer.Serialize(new
        {
            version = "1.0",
            normalizer = new { type = "BertNormalizer", lowercase = true },
            pre_tokenizer = new { type = "BertPreTokenizer" },
            model = new { type = "WordPiece", unk_token = "[UNK]", continuing_subword_prefix = "##", max_input_chars_per_word = 100, vocab },
        }));
        using var withJson = PretrainedEncoder.Load(temp.Path);
        Assert.That(withJson.Vocabulary, Has.Count.EqualTo(8));
        Assert.That(withJson.Embed(["Hello world!"]), Is.EqualTo(expected));
    }

    [Category("Unit")]
    [Test]
    public void TinyRandomModelRoundTripsThroughDirectory()
    {
        using var temp = TestModels.TempDir();
        WriteTinyDirectory(temp.Path);
        using var a = PretrainedEncoder.Load(temp.Path);
        string copy = Path.Combine(temp.Path, "copy");
        a.Save(copy);
        using var b = PretrainedEncoder.Load(copy);
        Assert.That(b.Embed(["hello world !"]), Is.EqualTo(a.Embed(["hello world !"])));
    }
}
