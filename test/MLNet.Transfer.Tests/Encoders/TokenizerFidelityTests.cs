using System.Text.Json.Nodes;
using Microsoft.ML;
using MLNet.Transfer.Checkpoints;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.MLNetIntegration;
using MLNet.Transfer.Models;
using MLNet.Transfer.Models.Bert;
using MLNet.Transfer.Text;
using MLNet.Transfer.Onnx;
using MLNet.Transfer.Tests.MLNetIntegration;

namespace MLNet.Transfer.Tests.Encoders;

/// <summary>
/// One tokenizer path: every setting a Hugging Face directory declares (casing, accents, CJK splitting, special tokens)
/// reaches the encoder's tokenizer, and survives saving the encoder as a directory, saving a model zip that contains it,
/// and ONNX export — tested with a cased vocabulary, strip_accents=false and renamed special tokens.
/// </summary>
[Category("Unit")]
public class TokenizerFidelityTests
{
    // Cased, accented words and non-default special tokens: a tokenizer that lower-cases, strips accents or assumes
    // [CLS]/[SEP] names gives other ids (or fails).
    private static readonly string[] Vocabulary =
        ["<pad>", "<unk>", "<cls>", "<sep>", "<mask>", "Café", "café", "cafe", "Paris", "paris", "in", "a", "我", "们", "我们", "."];

    private static readonly BertWordPieceOptions Declared = new()
    {
        LowerCase = false, StripAccents = false, TokenizeChineseChars = false,
        UnknownToken = "<unk>", ClassificationToken = "<cls>", SeparatorToken = "<sep>", PaddingToken = "<pad>", MaskToken = "<mask>",
    };

    private static string WriteCasedDirectory(string path)
    {
        var config = TestModels.TinyConfig(vocabSize: Vocabulary.Length) with { DoLowerCase = false, PadTokenId = 0 };
        using var model = new BertModel(config);
        HuggingFaceDirectory.Write(path, config, model.state_dict(), Vocabulary);
        // As transformers writes it for a cased model with its own special tokens.
        var tokenizerConfig = new JsonObject
        {
            ["do_lower_case"] = false, ["strip_accents"] = false, ["tokenize_chinese_chars"] = false,
            ["unk_token"] = "<unk>", ["cls_token"] = "<cls>", ["sep_token"] = "<sep>", ["pad_token"] = "<pad>",
            ["mask_token"] = new JsonObject { ["content"] = "<mask>", ["lstrip"] = true },
            ["model_max_length"] = 128, ["tokenizer_class"] = "BertTokenizer",
        };
        File.WriteAllText(Path.Combine(path, ModelDirectory.TokenizerConfigFile), tokenizerConfig.ToJsonString());
        return path;
    }

    private static void AssertDeclaredSettings(BertWordPieceTokenizer tokenizer)
    {
        var actual = tokenizer.Options;
        Assert.That((actual.LowerCase, actual.StripAccents, actual.TokenizeChineseChars), Is.EqualTo((false, (bool?)false, false)));
        Assert.That(new[] { actual.UnknownToken, actual.ClassificationToken, actual.SeparatorToken, actual.PaddingToken, actual.MaskToken },
                    Is.EqualTo(new[] { "<unk>", "<cls>", "<sep>", "<pad>", "<mask>" }));
        // Behaviour, not only flags: case and accents kept, "我们" one word, the renamed specials framing the sequence.
        var ids = tokenizer.Encode("Café café cafe Paris 我们", maxTokens: 32).InputIds;
        Assert.That(ids, Is.EqualTo(new[] { 2, 5, 6, 7, 8, 14, 3 }));
    }

    [Test]
    public void ADirectorysTokenizerSettingsReachTheEncoderAndSurviveSavingIt()
    {
        using var temp = TestModels.TempDir();
        using var encoder = PretrainedEncoder.Load(WriteCasedDirectory(Path.Combine(temp.Path, "cased")));
        AssertDeclaredSettings(encoder.Tokenizer);
        AssertDeclaredSettings(BertWordPieceTokenizer.FromHuggingFaceDirectory(Path.Combine(temp.Path, "cased"))); // the same tokenizer both ways

        string saved = Path.Combine(temp.Path, "saved");
        encoder.Save(saved);
        using var reloaded = PretrainedEncoder.Load(saved);
        AssertDeclaredSettings(reloaded.Tokenizer);
        using var clone = encoder.Clone();
        AssertDeclaredSettings(clone.Tokenizer);
        using var random = encoder.WithRandomWeights();
        AssertDeclaredSettings(random.Tokenizer);
    }

    [Test]
    public void AModelZipKeepsTheTokenizerSettings()
    {
        using var temp = TestModels.TempDir();
        string dir = WriteCasedDirectory(Path.Combine(temp.Path, "cased"));
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new Row { Text = "Café in Paris" }, new Row { Text = "cafe in paris" } });
        var model = ml.Transforms.Text.ApplyContextualEmbeddings(new ContextualEmbeddingOptions { Model = dir }).Fit(data);
        string zip = Path.Combine(temp.Path, "model.zip");
        ml.Model.Save(model, data.Schema, zip);

        var loaded = (ContextualEmbeddingTransformer)new MLContext(seed: 2).RegisterTransferComponents().Model.Load(zip, out _);
        AssertDeclaredSettings(loaded.Encoder.Tokenizer);
        Assert.That(TextRows.Column(loaded.Transform(data), "Features"), Is.EqualTo(TextRows.Column(model.Transform(data), "Features")));
    }

    [Test]
    public void OnnxExportCarriesTheTokenizerSettings()
    {
        using var temp = TestModels.TempDir();
        using var encoder = PretrainedEncoder.Load(WriteCasedDirectory(Path.Combine(temp.Path, "cased")));
        var metadata = EncoderOnnxExport.TokenizerMetadata(encoder, 64, TruncationStrategy.Head);
        var options = HuggingFaceTokenizerFiles.FromTokenizerConfig(metadata["mlnet_transfer.tokenizer_config"]);
        AssertDeclaredSettings(BertWordPieceTokenizer.FromTokens(Vocabulary, options));
    }

    private sealed class Row
    {
        public string Text { get; set; } = "";
    }
}
