using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transfer.AI;
using MLNet.Transfer.Checkpoints;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.MLNetIntegration;
using MLNet.Transfer.Tests.Cli;
using MLNet.Transfer.Tests.MLNetIntegration;
using MLNet.Transfer.Tests.Reliability;

namespace MLNet.Transfer.Tests.Checkpoints;

/// <summary>
/// Sentence-transformers directories as users have them (modules.json, 1_Pooling, 2_Normalize, sentence_bert_config.json):
/// the model's own pooling, normalisation and max length become every embedding path's defaults; explicit options win;
/// broken or unsupported files are refused naming the file.
/// </summary>
[Category("Unit")]
[NonParallelizable] // the CLI check swaps Console.Out
public class SentenceTransformersLayoutTests
{
    private const int MaxSeqLength = 40;

    private static readonly string[] Texts =
    [
        .. TextRows.SampleTexts,
        "The food was great and the staff were friendly.", "Cold soup, slow service, never again.",
        "A much longer text that goes on and on about nothing in particular, so that the forty-token budget of this " +
        "model is exceeded and truncation has to happen before the pooling: more words, more pieces, more tokens.",
    ];

    private static readonly EmbeddingSettings ClsNormalized = new() { Pooling = PoolingMode.Cls, Normalize = true, MaxTokens = MaxSeqLength };

    /// <summary>
    /// Writes the tiny seeded encoder as a sentence-transformers directory: the transformer's files in the root
    /// (module path "") or in 0_Transformer/, then Pooling with <paramref name="pooling"/>'s keys, Normalize and
    /// sentence_bert_config.json.
    /// </summary>
    private static string WriteLayout(string root, bool underModule, params string[] pooling)
    {
        string dir = Path.Combine(root, underModule ? "st-module" : "st-root");
        string transformer = underModule ? "0_Transformer" : "";
        using (var encoder = TinyPipelines.NewEncoder()) encoder.Save(Path.Combine(dir, transformer));
        var modules = new JsonArray(
            Module(0, "0", transformer, "Transformer"), Module(1, "1", "1_Pooling", "Pooling"), Module(2, "2", "2_Normalize", "Normalize"));
        File.WriteAllText(Path.Combine(dir, "modules.json"), modules.ToJsonString());
        Directory.CreateDirectory(Path.Combine(dir, "1_Pooling"));
        Directory.CreateDirectory(Path.Combine(dir, "2_Normalize"));
        var poolingConfig = new JsonObject { ["word_embedding_dimension"] = 32 };
        foreach (string key in new[] { "cls_token", "mean_tokens", "max_tokens", "mean_sqrt_len_tokens", "weightedmean_tokens", "lasttoken" })
            poolingConfig[$"pooling_mode_{key}"] = pooling.Contains(key);
        File.WriteAllText(Path.Combine(dir, "1_Pooling", "config.json"), poolingConfig.ToJsonString());
        File.WriteAllText(Path.Combine(dir, transformer, "sentence_bert_config.json"),
            new JsonObject { ["max_seq_length"] = MaxSeqLength, ["do_lower_case"] = false }.ToJsonString());
        return dir;
    }

    private static JsonObject Module(int idx, string name, string path, string type) =>
        new() { ["idx"] = idx, ["name"] = name, ["path"] = path, ["type"] = $"sentence_transformers.models.{type}" };

    [TestCase(false)]
    [TestCase(true)]
    public void TheEncoderCarriesTheLayoutsPoolingNormalizeAndMaxSeqLength(bool underModule)
    {
        using var temp = TestModels.TempDir();
        using var encoder = PretrainedEncoder.Load(WriteLayout(temp.Path, underModule, "cls_token"));
        Assert.That(encoder.EmbeddingDefaults, Is.EqualTo(ClsNormalized));
        Assert.That(encoder.HiddenSize, Is.EqualTo(32));
        using var clone = encoder.Clone();
        Assert.That(clone.EmbeddingDefaults, Is.EqualTo(ClsNormalized));
    }

    [Test]
    public void SaveWritesTheDefaultsBackAndAPlainSaveRemovesAStaleLayout()
    {
        using var temp = TestModels.TempDir();
        using var encoder = PretrainedEncoder.Load(WriteLayout(temp.Path, underModule: true, "mean_tokens", "max_tokens"));
        string saved = Path.Combine(temp.Path, "saved");
        encoder.Save(saved);
        using (var reloaded = PretrainedEncoder.Load(saved))
        {
            Assert.That(reloaded.EmbeddingDefaults, Is.EqualTo(ClsNormalized with { Pooling = PoolingMode.MeanMax }));
            Assert.That(reloaded.Embed(Texts, reloaded.EmbeddingDefaults), Is.EqualTo(encoder.Embed(Texts, encoder.EmbeddingDefaults)));
        }
        using var plain = TinyPipelines.NewEncoder();
        plain.Save(saved);
        using var overwritten = PretrainedEncoder.Load(saved);
        Assert.That(overwritten.EmbeddingDefaults, Is.EqualTo(new EmbeddingSettings()), "no modules.json left behind");
    }

    [Test]
    public void PlainAndEmbeddedModelsHaveTheirOwnDefaults()
    {
        using var temp = TestModels.TempDir();
        using var plain = PretrainedEncoder.Load(TestModels.TinyModelDirectory(temp.Path));
        Assert.That(plain.EmbeddingDefaults, Is.EqualTo(new EmbeddingSettings { Pooling = PoolingMode.Mean, Normalize = false }));
        Assert.That(TestModels.MiniLm.EmbeddingDefaults, Is.EqualTo(new EmbeddingSettings { Pooling = PoolingMode.Mean, Normalize = true }));
        Assert.That(EmbeddedModels.RecommendedSettings("arctic-xs"), Is.EqualTo(new EmbeddingSettings { Pooling = PoolingMode.Cls, Normalize = true }));
    }

    [Test]
    public async Task WithNoOptionsEveryPathEmbedsLikeExplicitClsAndNormalize()
    {
        using var temp = TestModels.TempDir();
        string dir = WriteLayout(temp.Path, underModule: true, "cls_token");
        using var encoder = PretrainedEncoder.Load(dir);
        var expected = encoder.Embed(Texts, ClsNormalized);
        Assert.That(expected.Select(v => v[0]).Distinct().Count(), Is.GreaterThan(Texts.Length / 2), "varied vectors, or the comparison proves nothing");
        Assert.That(encoder.Embed(Texts, ClsNormalized with { Pooling = PoolingMode.Mean })[0], Is.Not.EqualTo(expected[0]), "CLS must differ from mean here");
        Assert.That(expected.Select(v => Math.Sqrt(v.Sum(x => (double)x * x))), Is.All.EqualTo(1).Within(1e-5));

        using (var generator = TransferEmbeddingGenerator.Load(dir))
            Assert.That((await generator.GenerateAsync(Texts)).Select(e => e.Vector.ToArray()), Is.EqualTo(expected).Within(1e-6), "generator (ONNX Runtime by default)");

        var mlContext = new MLContext(seed: 1);
        var data = mlContext.Data.LoadFromEnumerable(Texts.Select(t => new TextRow { Text = t }).ToList());
        var featurizer = mlContext.Transforms.Text.ApplyContextualEmbeddings("Features", "Text", model: dir).Fit(data);
        Assert.That(featurizer.Transform(data).GetColumn<float[]>("Features").ToArray(), Is.EqualTo(expected).Within(1e-6), "ApplyContextualEmbeddings (ONNX Runtime by default)");

        // The saved model holds the resolved values: it embeds identically, whatever the encoder inside declares.
        string zip = Path.Combine(temp.Path, "model.zip");
        mlContext.Model.Save(featurizer, data.Schema, zip);
        var loadContext = new MLContext(seed: 1);
        loadContext.RegisterTransferComponents();
        var loaded = (ContextualEmbeddingTransformer)loadContext.Model.Load(zip, out _);
        Assert.That(loaded.Encoder.EmbeddingDefaults, Is.EqualTo(new EmbeddingSettings()), "the zip's encoder declares nothing");
        Assert.That(loaded.Transform(data).GetColumn<float[]>("Features").ToArray(), Is.EqualTo(expected).Within(1e-6), "saved and loaded");

        string input = Path.Combine(temp.Path, "lines.txt");
        File.WriteAllLines(input, Texts);
        var (code, output, error) = InProcessCli.Run("embed", "--model", dir, "--json", "--input", input);
        Assert.That(code, Is.EqualTo(0), error);
        var cli = output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonDocument.Parse(line).RootElement.GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle()).ToArray());
        Assert.That(cli.ToArray(), Is.EqualTo(expected).Within(1e-6), "CLI embed");
    }

    [Test]
    public void AnExplicitOptionWins()
    {
        using var temp = TestModels.TempDir();
        string dir = WriteLayout(temp.Path, underModule: false, "cls_token");
        using var encoder = PretrainedEncoder.Load(dir);
        var mlContext = new MLContext(seed: 1);
        var data = mlContext.Data.LoadFromEnumerable(Texts.Select(t => new TextRow { Text = t }).ToList());
        var explicitMean = mlContext.Transforms.Text.ApplyContextualEmbeddings(new ContextualEmbeddingOptions
        {
            Encoder = encoder, Pooling = PoolingMode.Mean, Normalize = false, MaxTokens = 24,
        }).Fit(data);
        var expected = encoder.Embed(Texts, new EmbeddingSettings { Pooling = PoolingMode.Mean, MaxTokens = 24 });
        Assert.That(explicitMean.Transform(data).GetColumn<float[]>("Features").ToArray(), Is.EqualTo(expected).Within(1e-6), "ONNX Runtime by default, LibTorch's Embed");
        var onlyPooling = mlContext.Transforms.Text.ApplyContextualEmbeddings("Features", "Text", model: dir, pooling: PoolingMode.Max).Fit(data);
        Assert.That(onlyPooling.Transform(data).GetColumn<float[]>("Features").ToArray(),
                    Is.EqualTo(encoder.Embed(Texts, ClsNormalized with { Pooling = PoolingMode.Max })).Within(1e-6), "unset normalisation and length stay the model's own");

        var (code, output, error) = InProcessCli.Run("embed", "--model", dir, "--pooling", "mean", "--no-normalize", "--json", "--text", Texts[0]);
        Assert.That(code, Is.EqualTo(0), error);
        var cli = JsonDocument.Parse(output).RootElement.GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        Assert.That(cli, Is.EqualTo(encoder.Embed([Texts[0]], new EmbeddingSettings { Pooling = PoolingMode.Mean, MaxTokens = MaxSeqLength })[0]).Within(1e-6), "CLI embed runs on the default engine");
    }

    [Test]
    public void MeanAndMaxTogetherAreMeanMax()
    {
        using var temp = TestModels.TempDir();
        string dir = WriteLayout(temp.Path, underModule: false, "mean_tokens", "max_tokens");
        Assert.That(SentenceTransformersLayout.Read(dir).Pooling, Is.EqualTo(PoolingMode.MeanMax));
    }

    [Test]
    public void AnUnsupportedPoolingModeIsRefusedNamingTheFile()
    {
        using var temp = TestModels.TempDir();
        string dir = WriteLayout(temp.Path, underModule: false, "mean_sqrt_len_tokens");
        string file = Path.Combine(dir, "1_Pooling", "config.json");
        Assert.That(() => PretrainedEncoder.Load(dir), Throws.TypeOf<NotSupportedException>()
            .With.Message.Contain(file).And.Message.Contain("pooling_mode_mean_sqrt_len_tokens"));
    }

    [Test]
    public void AnUnsupportedModuleIsRefusedNamingTheFile()
    {
        using var temp = TestModels.TempDir();
        string dir = WriteLayout(temp.Path, underModule: false, "cls_token");
        string modules = Path.Combine(dir, "modules.json");
        var list = JsonNode.Parse(File.ReadAllText(modules))!.AsArray();
        list.Add(Module(3, "3", "3_Dense", "Dense"));
        File.WriteAllText(modules, list.ToJsonString());
        Assert.That(() => PretrainedEncoder.Load(dir), Throws.TypeOf<NotSupportedException>()
            .With.Message.Contain(modules).And.Message.Contain("sentence_transformers.models.Dense"));
    }

    [TestCase("modules.json")]
    [TestCase("1_Pooling/config.json")]
    [TestCase("sentence_bert_config.json")]
    public void BadJsonNamesTheFile(string name)
    {
        using var temp = TestModels.TempDir();
        string dir = WriteLayout(temp.Path, underModule: false, "cls_token");
        string file = Path.Combine(dir, name);
        File.WriteAllText(file, "{ \"max_seq_length\": ");
        Assert.That(() => PretrainedEncoder.Load(dir), Throws.TypeOf<InvalidDataException>().With.Message.Contain(file).And.Message.Contain("not valid JSON"));
    }

    [Test]
    public void AWrongValueTypeOrWidthNamesTheFileAndKey()
    {
        using var temp = TestModels.TempDir();
        string dir = WriteLayout(temp.Path, underModule: false, "cls_token");
        string config = Path.Combine(dir, "sentence_bert_config.json");
        File.WriteAllText(config, "{ \"max_seq_length\": \"long\" }");
        Assert.That(() => PretrainedEncoder.Load(dir), Throws.TypeOf<InvalidDataException>().With.Message.Contain(config).And.Message.Contain("max_seq_length"));
        File.WriteAllText(config, "{ \"max_seq_length\": 40 }");
        string pooling = Path.Combine(dir, "1_Pooling", "config.json");
        File.WriteAllText(pooling, "{ \"word_embedding_dimension\": 384, \"pooling_mode_cls_token\": true }");
        Assert.That(() => PretrainedEncoder.Load(dir), Throws.TypeOf<InvalidDataException>().With.Message.Contain(pooling).And.Message.Contain("384"));
    }
}
