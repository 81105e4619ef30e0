using MLNet.Transfer.Checkpoints;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.Models;
using MLNet.Transfer.Models.Bert;
using MLNet.Transfer.Models.Heads;
using MLNet.Transfer.Models.Recurrent;
using MLNet.Transfer.Tests.Pretraining;
using MLNet.Transfer.Tests.Text;
using static TorchSharp.torch;

namespace MLNet.Transfer.Tests.Encoders;

/// <summary>
/// What callers read from any encoder through <see cref="TextEncoder"/> (vocabulary size, casing, task-model prefix, bf16
/// capability), the one directory writer every architecture saves through, and the config.json helper's errors.
/// </summary>
[Category("Unit")]
public class EncoderSeamTests
{
    private const int Vocab = 31; // TestVocab.SmallTokens(): 5 specials and the letters

    private static TextEncoder Create(string type, bool lowerCase, int vocab = Vocab) => type == "bert"
        ? new BertModel(TestModels.TinyConfig(vocab) with { DoLowerCase = lowerCase })
        : new RecurrentEncoder(RecurrentLanguageModelTests.Tiny(type, vocab) with { DoLowerCase = lowerCase });

    [TestCase("bert", true)]
    [TestCase("bert", false)]
    [TestCase(RecurrentConfig.AwdLstmType, true)]
    [TestCase(RecurrentConfig.BiLstmType, false)]
    public void EveryArchitectureReportsVocabularySizeAndCasingAndTheTokenizerFollows(string type, bool lowerCase)
    {
        using var encoder = PretrainedEncoder.FromModel("seam", Create(type, lowerCase, vocab: 40), TestVocab.SmallTokens(), CPU);
        Assert.That(encoder.ModelType, Is.EqualTo(type));
        Assert.That(encoder.Model.VocabSize, Is.EqualTo(40));
        Assert.That(encoder.Model.LowerCase, Is.EqualTo(lowerCase));
        Assert.That(encoder.Tokenizer.LowerCase, Is.EqualTo(lowerCase));

        using var rebuilt = EncoderFactory.Create(encoder.Model.ToConfigJson(), !lowerCase);
        Assert.That((rebuilt.ModelType, rebuilt.VocabSize, rebuilt.LowerCase), Is.EqualTo((type, 40, !lowerCase)), "casing comes from the caller, the rest from config.json");
    }

    [TestCase("bert")]
    [TestCase(RecurrentConfig.AwdLstmType)]
    public void AVocabularyLargerThanTheEmbeddingTableIsRefusedForEveryArchitecture(string type)
    {
        var model = Create(type, lowerCase: true, vocab: 20);
        Assert.That(() => PretrainedEncoder.FromModel("seam", model, TestVocab.SmallTokens(), CPU),
                    Throws.ArgumentException.With.Message.Contain($"{Vocab} tokens").And.Message.Contain("vocab_size (20)"));
        model.Dispose();
    }

    [TestCase("bert", "bert.")]
    [TestCase(RecurrentConfig.AwdLstmType, "encoder.")]
    [TestCase(RecurrentConfig.BiLstmType, "encoder.")]
    public void TaskModelsStoreTheEncoderUnderItsTaskModelPrefix(string type, string prefix)
    {
        using var encoder = Create(type, lowerCase: true);
        using var model = new TransferModel(encoder, [new TaskSpec("t", TaskKind.Binary, 1)], PoolingMode.Mean, headDropout: 0.1);
        Assert.That(encoder.TaskModelPrefix + ".", Is.EqualTo(prefix));
        Assert.That(model.EncoderPrefix, Is.EqualTo(prefix));
        Assert.That(model.Encoder, Is.SameAs(encoder));
        var encoderKeys = model.state_dict().Keys.Where(k => !k.StartsWith("heads.", StringComparison.Ordinal)).ToList();
        Assert.That(encoderKeys, Is.Not.Empty);
        Assert.That(encoderKeys, Has.All.StartsWith(prefix));
    }

    [Test]
    public void Bf16InferenceIsABertCapabilityOnly()
    {
        using var bert = Create("bert", lowerCase: true);
        bert.eval();
        Assert.That(bert.BFloat16Inference, Is.False);
        bert.UseBFloat16Inference();
        Assert.That(bert.BFloat16Inference, Is.True);
        bert.UseBFloat16Inference(false);
        Assert.That(bert.BFloat16Inference, Is.False);

        using var lstm = Create(RecurrentConfig.BiLstmType, lowerCase: true);
        Assert.That(lstm.BFloat16Inference, Is.False);
        Assert.That(() => lstm.UseBFloat16Inference(), Throws.InstanceOf<NotSupportedException>().With.Message.Contain("'bilstm'"));
    }

    [TestCase("bert", false)]
    [TestCase(RecurrentConfig.AwdLstmType, true)]
    public void EncoderSaveWritesTheSameFilesAsTheArchitecturesDirectoryWriter(string type, bool lowerCase)
    {
        using var temp = TestModels.TempDir();
        using var encoder = PretrainedEncoder.FromModel("seam", Create(type, lowerCase), TestVocab.SmallTokens(), CPU);
        string viaEncoder = Path.Combine(temp.Path, "encoder"), viaDirectory = Path.Combine(temp.Path, "directory");
        encoder.Save(viaEncoder);
        var weights = encoder.Model.state_dict();
        if (encoder.Model is BertModel bert) HuggingFaceDirectory.Write(viaDirectory, bert.Config, weights, encoder.Vocabulary);
        else RecurrentDirectory.Write(viaDirectory, ((RecurrentEncoder)encoder.Model).Config, weights, encoder.Vocabulary);

        string[] files = [ModelDirectory.ConfigFile, ModelDirectory.VocabFile, ModelDirectory.TokenizerConfigFile, ModelDirectory.WeightsFile];
        Assert.That(Directory.GetFiles(viaEncoder).Select(Path.GetFileName), Is.EquivalentTo(files));
        foreach (string file in files)
            Assert.That(File.ReadAllBytes(Path.Combine(viaEncoder, file)), Is.EqualTo(File.ReadAllBytes(Path.Combine(viaDirectory, file))), file);
        string expectedTokenizerConfig = $$"""
            {
              "do_lower_case": {{(lowerCase ? "true" : "false")}},
              "strip_accents": null,
              "tokenize_chinese_chars": true,
              "unk_token": "[UNK]",
              "sep_token": "[SEP]",
              "pad_token": "[PAD]",
              "cls_token": "[CLS]",
              "mask_token": "[MASK]",
              "model_max_length": {{encoder.MaxTokens}},
              "tokenizer_class": "BertTokenizer"
            }
            """;
        Assert.That(File.ReadAllText(Path.Combine(viaEncoder, ModelDirectory.TokenizerConfigFile)).ReplaceLineEndings("\n"), Is.EqualTo(expectedTokenizerConfig));

        using var reloaded = PretrainedEncoder.Load(viaEncoder);
        Assert.That((reloaded.ModelType, reloaded.Model.VocabSize, reloaded.Tokenizer.LowerCase), Is.EqualTo((type, Vocab, lowerCase)));
    }

    [Test]
    public void ConfigJsonKeepsHuggingFaceKeysAndLeavesNullsOut()
    {
        string json = (TestModels.TinyConfig(Vocab) with { Architectures = ["BertModel"] }).ToJson();
        var keys = System.Text.Json.JsonDocument.Parse(json).RootElement.EnumerateObject().Select(p => p.Name).ToArray();
        Assert.That(keys, Is.EqualTo(new[]
        {
            "model_type", "vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size", "hidden_act",
            "hidden_dropout_prob", "attention_probs_dropout_prob", "max_position_embeddings", "type_vocab_size", "layer_norm_eps",
            "pad_token_id", "initializer_range", "architectures",
        }), "is_decoder (null) is not written; DoLowerCase lives in tokenizer_config.json");
        Assert.That(json, Does.StartWith("{\n  \"model_type\": \"bert\",").Or.StartWith("{\r\n  \"model_type\": \"bert\","), "indented");
        Assert.That(BertConfig.FromJson(json) with { Architectures = null }, Is.EqualTo(TestModels.TinyConfig(Vocab)), "reads back what it wrote");
    }

    [Test]
    public void ConfigJsonErrorsNameTheFile()
    {
        Assert.That(() => BertConfig.FromJson("{", "m/config.json"), Throws.InstanceOf<InvalidDataException>().With.Message.StartWith("m/config.json: not valid JSON"));
        Assert.That(() => RecurrentConfig.FromJson("null", "r/config.json"), Throws.InstanceOf<InvalidDataException>().With.Message.EqualTo("r/config.json: empty config."));
        Assert.That(() => EncoderFactory.ModelType("[1]", "z.json"), Throws.InstanceOf<InvalidDataException>().With.Message.EqualTo("z.json: not a JSON object."));
        Assert.That(() => EncoderFactory.ModelType("{", "z.json"), Throws.InstanceOf<InvalidDataException>().With.Message.StartWith("z.json: not valid JSON"));
        Assert.That(EncoderFactory.ModelType("{\"vocab_size\": 3}"), Is.EqualTo("bert"), "old BERT configs have no model_type");
        Assert.That(() => BertConfig.FromJson("{\"hidden_size\": 0}", "b.json"), Throws.InstanceOf<InvalidDataException>().With.Message.EqualTo("b.json: hidden_size must be positive, got 0."));
    }

    [Test]
    public void RandomWeightsKeepTheArchitectureAndVocabularyAndAreSeeded()
    {
        using var temp = TestModels.TempDir();
        using var pretrained = PretrainedEncoder.Load(TestModels.TinyModelDirectory(temp.Path));
        using var random = pretrained.WithRandomWeights(seed: 3);
        using var again = pretrained.WithRandomWeights(seed: 3);
        Assert.That(random.Model.ToConfigJson(), Is.EqualTo(pretrained.Model.ToConfigJson()));
        Assert.That(random.Vocabulary, Is.EqualTo(pretrained.Vocabulary));
        Assert.That(random.Name, Does.Contain("random weights"));
        var settings = new EmbeddingSettings();
        float[] Vector(PretrainedEncoder e) => e.Embed(["the cat sat"], settings)[0];
        Assert.That(Vector(random), Is.Not.EqualTo(Vector(pretrained)), "new weights");
        Assert.That(Vector(again), Is.EqualTo(Vector(random)), "the same seed gives the same weights");
    }
}
