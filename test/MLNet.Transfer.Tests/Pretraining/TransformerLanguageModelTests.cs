using MLNet.Transfer.Checkpoints;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.Models;
using MLNet.Transfer.Pretraining;
using MLNet.Transfer.Tests.Text;
using MLNet.Transfer.Text;
using static TorchSharp.torch;

namespace MLNet.Transfer.Tests.Pretraining;

/// <summary>Language-model head, training from scratch, persistence and the causal mask, on tiny random models.</summary>
public class TransformerLanguageModelTests
{
    /// <summary>Letter "words" a–z: alphabetical runs are predictable from their neighbours (and from the left).</summary>
    internal static string[] AlphabetCorpus(int lines, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, lines).Select(_ =>
        {
            int start = random.Next(0, 14), length = random.Next(6, 13);
            return string.Join(' ', Enumerable.Range(start, length).Select(i => (char)('a' + i)));
        })];
    }

    internal static BertConfig Tiny(int vocab) => TestModels.TinyConfig(vocab) with { HiddenDropoutProb = 0, AttentionProbsDropoutProb = 0 };

    private static TransformerLanguageModel TinyScratch(LanguageModelObjective objective = LanguageModelObjective.MaskedLm, int seed = 1) =>
        TransformerLanguageModel.FromScratch(Tiny(31), TestVocab.Small(), objective, seed);

    [Category("Unit")]
    [Test]
    public void DecoderWeightIsTheWordEmbeddingTensorAndReceivesGradientsFromBothUses()
    {
        using var lm = TinyScratch();
        var embedding = lm.Module.Encoder.Embeddings.WordEmbeddingWeight;
        var decoder = lm.Module.Head.Predictions.DecoderWeight;
        // TorchSharp hands out a new wrapper per property read, so identity is checked on the storage.
        Assert.That(decoder.storage<float>().data_ptr(), Is.EqualTo(embedding.storage<float>().data_ptr()), "same storage");
        using (no_grad()) embedding[TestVocab.SmallId('q'), 0] = 1234f;
        Assert.That(decoder[TestVocab.SmallId('q'), 0].item<float>(), Is.EqualTo(1234f), "a change to the embeddings is a change to the decoder");
        using (no_grad()) embedding[TestVocab.SmallId('q'), 0] = 0f;
        var names = lm.Module.named_parameters().Select(p => p.name).ToList();
        Assert.That(names, Is.Unique);
        Assert.That(names.Count(n => n.Contains("word_embeddings")), Is.EqualTo(1), "the tied matrix is one parameter, updated once per step");
        Assert.That(names.Where(n => n.StartsWith("cls.", StringComparison.Ordinal)), Is.EquivalentTo(new[]
        {
            "cls.predictions.bias", "cls.predictions.transform.dense.weight", "cls.predictions.transform.dense.bias",
            "cls.predictions.transform.LayerNorm.weight", "cls.predictions.transform.LayerNorm.bias",
        }));

        // Input uses only 'a' and 'b'; the row of 'z' gets a gradient only through the decoder (softmax over the vocabulary).
        using var ids = tensor(new long[] { 2, TestVocab.SmallId('a'), TestVocab.SmallId('b'), 3 }, [1, 4]);
        using var types = zeros_like(ids);
        using var logits = lm.Module.Logits(ids, types, null);
        using var loss = nn.functional.cross_entropy(logits.view(4, -1), tensor(new long[] { 5, 6, 7, 8 }));
        loss.backward();
        using var grad = embedding.grad!;
        Assert.That(grad[TestVocab.SmallId('z')].abs().sum().item<float>(), Is.GreaterThan(0), "decoder use");
        using var delta = grad[TestVocab.SmallId('a')] - grad[TestVocab.SmallId('z')];
        Assert.That(delta.abs().sum().item<float>(), Is.GreaterThan(0), "embedding use adds to the same gradient");
    }

    [Category("Integration")]
    [TestCase(LanguageModelObjective.MaskedLm)]
    [TestCase(LanguageModelObjective.CausalLm)]
    public void HeldOutLossFallsWhenTrainingFromScratchOnARepetitiveCorpus(LanguageModelObjective objective)
    {
        using var lm = TinyScratch(objective);
        var settings = new PretrainingSettings
        {
            Objective = objective, Steps = 300, BatchSize = 16, MaxTokens = 32, LearningRate = 3e-3, ValidFraction = 0.1, Seed = 5,
        };
        var result = LanguageModelTrainer.Train(lm, AlphabetCorpus(400, seed: 1), settings);
        TestContext.Out.WriteLine($"{objective}: loss {result.HeldOutLossBefore:F3} → {result.HeldOutLossAfter:F3}, accuracy " +
                                  $"{result.Before.Accuracy:P0} → {result.After.Accuracy:P0}, {result.TokensPerSecond:F0} tokens/s, {result.Duration.TotalSeconds:F1} s");
        Assert.That(result.HeldOutLossBefore, Is.EqualTo(Math.Log(31)).Within(0.5), "a random model is near uniform over the 31 ids");
        Assert.That(result.HeldOutLossAfter, Is.LessThan(result.HeldOutLossBefore * 0.5));
        Assert.That(result.After.Accuracy, Is.GreaterThan(0.6));
        Assert.That(result.Steps, Is.EqualTo(300));
        Assert.That(result.PerplexityAfter, Is.EqualTo(Math.Exp(result.HeldOutLossAfter)).Within(1e-9));
    }

    [Category("Unit")]
    [Test]
    public void HeadWarmupTrainsOnlyTheHeadAndIsMeasuredSeparately()
    {
        using var lm = TinyScratch();
        var encoderBefore = lm.Module.Encoder.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        var headBefore = lm.Module.Head.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        // One main step at a negligible rate: whatever moved the encoder would have to be the head warm-up.
        var settings = new PretrainingSettings { HeadWarmupSteps = 40, Steps = 1, LearningRate = 1e-12, BatchSize = 16, MaxTokens = 32 };
        var result = LanguageModelTrainer.Train(lm, AlphabetCorpus(200, seed: 6), settings);
        foreach (var (name, tensor) in lm.Module.Encoder.state_dict())
            Assert.That((tensor - encoderBefore[name]).abs().max().item<float>(), Is.LessThan(1e-8f), $"encoder tensor {name} changed");
        Assert.That(lm.Module.Head.state_dict().Any(kv => (kv.Value - headBefore[kv.Key]).abs().max().item<float>() > 1e-4f), Is.True, "the head trained");
        Assert.That(lm.Module.parameters().All(p => p.requires_grad), Is.True, "everything is trainable again");
        Assert.That(result.AfterHeadWarmup, Is.Not.Null);
        Assert.That(result.AfterHeadWarmup!.Loss, Is.LessThan(result.Before.Loss));
        Assert.That(result.Steps, Is.EqualTo(1), "warm-up steps are extra");
    }

    [Category("Unit")]
    [Test]
    public void SavedLanguageModelLoadsBackWithIdenticalHeldOutLossAndAsAPlainEncoder()
    {
        using var temp = TestModels.TempDir();
        using var lm = TinyScratch();
        var corpus = AlphabetCorpus(100, seed: 2);
        LanguageModelTrainer.Train(lm, corpus, new PretrainingSettings { Steps = 30, BatchSize = 8, MaxTokens = 32, LearningRate = 3e-3 });
        var expected = lm.Evaluate(corpus, maxTokens: 32, seed: 9);
        string dir = Path.Combine(temp.Path, "lm");
        lm.Save(dir);

        var header = Safetensors.ReadHeader(Path.Combine(dir, ModelDirectory.WeightsFile));
        Assert.That(header.Keys, Does.Contain("bert.embeddings.word_embeddings.weight").And.Contain("cls.predictions.bias")
                                  .And.Contain("cls.predictions.transform.LayerNorm.weight"));
        Assert.That(header.Keys, Does.Not.Contain("cls.predictions.decoder.weight"), "tied: stored once, as in Hugging Face checkpoints");
        var config = BertConfig.FromJson(File.ReadAllText(Path.Combine(dir, "config.json")));
        Assert.That(config.Architectures, Is.EqualTo(new[] { "BertForMaskedLM" }));
        Assert.That(config.IsDecoder, Is.Null);

        using var reloaded = TransformerLanguageModel.Load(dir);
        Assert.That(reloaded.HeadLoaded, Is.True);
        Assert.That(reloaded.Objective, Is.EqualTo(LanguageModelObjective.MaskedLm));
        var actual = reloaded.Evaluate(corpus, maxTokens: 32, seed: 9);
        Assert.That(actual, Is.EqualTo(expected));
        Assert.That(lm.Evaluate(corpus, maxTokens: 32, seed: 10).Loss, Is.Not.EqualTo(expected.Loss), "another seed masks other tokens");

        using var encoder = PretrainedEncoder.Load(dir);
        var settings = new EmbeddingSettings { Pooling = PoolingMode.Mean };
        Assert.That(encoder.Embed(corpus[..5], settings), Is.EqualTo(lm.Encoder.Embed(corpus[..5], settings)));
    }

    [Category("Unit")]
    [Test]
    public void CausalModelSavesAsDecoderAndReloadsCausal()
    {
        using var temp = TestModels.TempDir();
        using var lm = TinyScratch(LanguageModelObjective.CausalLm);
        string dir = Path.Combine(temp.Path, "clm");
        lm.Save(dir);
        var config = BertConfig.FromJson(File.ReadAllText(Path.Combine(dir, "config.json")));
        Assert.That(config.IsDecoder, Is.True);
        Assert.That(config.Architectures, Is.EqualTo(new[] { "BertLMHeadModel" }));
        using var reloaded = TransformerLanguageModel.Load(dir);
        Assert.That(reloaded.Objective, Is.EqualTo(LanguageModelObjective.CausalLm));
        var corpus = AlphabetCorpus(20, seed: 3);
        Assert.That(reloaded.Evaluate(corpus).Loss, Is.EqualTo(lm.Evaluate(corpus).Loss));
        Assert.That(() => TransformerLanguageModel.Load(dir, LanguageModelObjective.MaskedLm), Throws.ArgumentException.With.Message.Contain("decoder"));
    }

    [Category("Unit")]
    [Test]
    public void CausalOutputsAtEarlierPositionsIgnoreLaterTokens()
    {
        using var lm = TinyScratch(LanguageModelObjective.CausalLm);
        using var _ = no_grad();
        // Two rows padded to 7; changing position 4 of row 0 must leave positions 0–3 unchanged (row 1 is padded).
        long[] a = [2, 5, 6, 7, 8, 9, 3], b = [2, 5, 6, 7, 20, 21, 3], shortRow = [2, 10, 11, 3, 0, 0, 0];
        long[] mask = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0];
        using var m = tensor(mask, [2, 7]);
        using var ids1 = tensor([.. a, .. shortRow], [2, 7]);
        using var ids2 = tensor([.. b, .. shortRow], [2, 7]);
        using var types = zeros_like(ids1);
        using var first = lm.Module.Logits(ids1, types, m);
        using var second = lm.Module.Logits(ids2, types, m);
        using var early = (first[0, ..4] - second[0, ..4]).abs().max();
        using var late = (first[0, 4..] - second[0, 4..]).abs().max();
        Assert.That(early.item<float>(), Is.EqualTo(0f).Within(1e-5f));
        Assert.That(late.item<float>(), Is.GreaterThan(1e-3f), "later positions do see the change");

        // The masked objective attends both ways: the same change reaches earlier positions.
        using var bidirectional = TinyScratch(LanguageModelObjective.MaskedLm);
        using var f1 = bidirectional.Module.Logits(ids1, types, m);
        using var f2 = bidirectional.Module.Logits(ids2, types, m);
        using var leak = (f1[0, ..4] - f2[0, ..4]).abs().max();
        Assert.That(leak.item<float>(), Is.GreaterThan(1e-3f));
    }

    [Category("Unit")]
    [Test]
    public void InterruptedRunResumesFromItsCheckpointToTheSameWeights()
    {
        using var temp = TestModels.TempDir();
        var corpus = AlphabetCorpus(120, seed: 4);
        PretrainingSettings Settings(string? checkpoints) => new()
        {
            Steps = 12, BatchSize = 8, MaxTokens = 32, LearningRate = 3e-3, CheckpointDirectory = checkpoints, CheckpointEverySteps = 5,
        };
        using var straight = TinyScratch(seed: 1);
        var expected = LanguageModelTrainer.Train(straight, corpus, Settings(null)).After;

        string checkpoints = Path.Combine(temp.Path, "ckpt");
        using var cancel = new CancellationTokenSource();
        using (var interrupted = TinyScratch(seed: 1))
        {
            var progress = new SyncProgress(p => { if (p.Step == 5) cancel.Cancel(); });
            Assert.That(() => LanguageModelTrainer.Train(interrupted, corpus, Settings(checkpoints), progress, cancel.Token), Throws.InstanceOf<OperationCanceledException>());
        }
        using var resumed = TinyScratch(seed: 99); // different start: everything comes from the checkpoint
        var result = LanguageModelTrainer.Train(resumed, corpus, Settings(checkpoints));
        Assert.That(result.Steps, Is.EqualTo(12));
        Assert.That(result.After, Is.EqualTo(expected));
    }

    [Category("Unit")]
    [Test]
    public void BadCorporaAndSettingsAreClearErrors()
    {
        using var lm = TinyScratch();
        Assert.That(() => LanguageModelTrainer.Train(lm, ["", "  "]), Throws.ArgumentException.With.Message.Contain("empty"));
        Assert.That(() => LanguageModelTrainer.Train(lm, ["a b c"]), Throws.ArgumentException.With.Message.Contain("at least 2"));
        Assert.That(() => LanguageModelTrainer.Train(lm, ["a b", "c d"], new PretrainingSettings { Objective = LanguageModelObjective.CausalLm }),
                    Throws.ArgumentException.With.Message.Contain("MaskedLm"));
        Assert.That(() => LanguageModelTrainer.Train(lm, ["a b", "c d"], new PretrainingSettings { MaxTokens = 1000 }),
                    Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contain("MaxTokens"));
    }

    [Category("Unit")]
    [Test]
    public void SavingRefusesToReplaceAFolderThatIsNotAModelAndKeepsTheOldModelOnFailure()
    {
        using var temp = TestModels.TempDir();
        using var lm = TinyScratch();
        string other = Path.Combine(temp.Path, "documents");
        Directory.CreateDirectory(other);
        File.WriteAllText(Path.Combine(other, "notes.txt"), "keep me");
        Assert.That(() => lm.Save(other), Throws.InstanceOf<IOException>().With.Message.Contain("not a model directory"));
        Assert.That(File.ReadAllText(Path.Combine(other, "notes.txt")), Is.EqualTo("keep me"));

        string dir = Path.Combine(temp.Path, "model");
        lm.Save(dir);
        var before = File.ReadAllBytes(Path.Combine(dir, ModelDirectory.WeightsFile));
        Assert.That(() => AtomicDirectory.Write(dir, d => { File.WriteAllText(Path.Combine(d, "config.json"), "{}"); throw new IOException("disk full"); }),
                    Throws.InstanceOf<IOException>().With.Message.EqualTo("disk full"));
        Assert.That(File.ReadAllBytes(Path.Combine(dir, ModelDirectory.WeightsFile)), Is.EqualTo(before));
        Assert.That(Directory.GetDirectories(temp.Path).Select(Path.GetFileName), Is.EquivalentTo(new[] { "documents", "model" }), "no temp folders left");
        lm.Save(dir); // replacing a model directory is allowed
        using var reloaded = TransformerLanguageModel.Load(dir);
        Assert.That(reloaded.HeadLoaded, Is.True);
    }
}
