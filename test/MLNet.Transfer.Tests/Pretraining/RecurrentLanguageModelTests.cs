using MLNet.Transfer.Checkpoints;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.Models;
using MLNet.Transfer.Models.Recurrent;
using MLNet.Transfer.Pretraining;
using MLNet.Transfer.Tests.Text;
using MLNet.Transfer.Training;
using static TorchSharp.torch;

namespace MLNet.Transfer.Tests.Pretraining;

/// <summary>The AWD-LSTM and bidirectional LSTM language models on tiny random models: structure, dropouts, direction, persistence, training.</summary>
[Category("Unit")]
public class RecurrentLanguageModelTests
{
    /// <summary>A tiny AWD-LSTM (inner layers wider than the embeddings, as in the real one) or bidirectional LSTM.</summary>
    internal static RecurrentConfig Tiny(string type, int vocab = 31) => type == RecurrentConfig.BiLstmType
        ? new RecurrentConfig { ModelType = type, VocabSize = vocab, EmbeddingSize = 16, HiddenSize = 16, NumHiddenLayers = 2 }
        : new RecurrentConfig { ModelType = type, VocabSize = vocab, EmbeddingSize = 16, HiddenSize = 24, NumHiddenLayers = 2 };

    private static RecurrentLanguageModel TinyScratch(string type, int seed = 1, double dropoutScale = 1) =>
        RecurrentLanguageModel.FromScratch(Tiny(type).WithDropoutScaled(dropoutScale), TestVocab.Small(), seed);

    private static PretrainingSettings Causal(int steps, double lr = 1e-2) => new()
    {
        Objective = LanguageModelObjective.CausalLm, Steps = steps, BatchSize = 16, MaxTokens = 32, LearningRate = lr, ValidFraction = 0.1, Seed = 5,
    };

    [Test]
    public void OutputLayerWeightIsTheEmbeddingMatrixStoredOnce()
    {
        using var lm = TinyScratch(RecurrentConfig.AwdLstmType);
        using var embedding = lm.Module.Encoder.EmbeddingWeight;
        using var decoder = lm.Module.Decoder.Weight;
        Assert.That(decoder.storage<float>().data_ptr(), Is.EqualTo(embedding.storage<float>().data_ptr()), "same storage");
        var names = lm.Module.named_parameters().Select(p => p.name).ToList();
        Assert.That(names, Is.Unique);
        Assert.That(names.Where(n => n.StartsWith("decoder.", StringComparison.Ordinal)), Is.EqualTo(new[] { "decoder.bias" }), "the decoder owns only its bias");
        Assert.That(names.Count(n => n.Contains("embedding")), Is.EqualTo(1));

        // 'z' never occurs in the input: its row is trained through the softmax alone; 'a' through both uses.
        lm.Module.train();
        using var ids = tensor(new long[] { 2, TestVocab.SmallId('a'), TestVocab.SmallId('b'), 3 }, [1, 4]);
        using var logits = lm.Module.Logits(ids, null).Next;
        using var loss = nn.functional.cross_entropy(logits.view(4, -1), tensor(new long[] { 5, 6, 7, 8 }));
        loss.backward();
        using var grad = embedding.grad!;
        Assert.That(grad[TestVocab.SmallId('z')].abs().sum().item<float>(), Is.GreaterThan(0), "softmax use");
        using var delta = grad[TestVocab.SmallId('a')] - grad[TestVocab.SmallId('z')];
        Assert.That(delta.abs().sum().item<float>(), Is.GreaterThan(0), "input use adds to the same gradient");
    }

    [Test]
    public void WeightDropoutMasksHiddenWeightsInTrainingOnly()
    {
        manual_seed(3);
        using var layer = new WeightDropLstm(inputSize: 8, units: 32, weightDropout: 0.5);
        using var raw = layer.named_parameters().Single(p => p.name == "weight_hh_l0").parameter.detach().clone();
        using var x = randn(4, 6, 8);

        layer.eval();
        using (var effective = layer.EffectiveHiddenWeight()) Assert.That(Same(effective, raw), Is.True, "eval uses the raw weights");
        using (var y1 = layer.call(x))
        using (var y2 = layer.call(x))
            Assert.That(Same(y1, y2), Is.True, "eval is deterministic");

        layer.train();
        using var first = layer.EffectiveHiddenWeight();
        using var second = layer.EffectiveHiddenWeight();
        double zeroShare = first.eq(0).to(ScalarType.Float32).mean().item<float>();
        Assert.That(zeroShare, Is.EqualTo(0.5).Within(0.05), "about half the hidden-to-hidden entries dropped");
        using var kept = first.ne(0);
        Assert.That(first.masked_select(kept).allclose(raw.masked_select(kept) * 2, rtol: 1e-6, atol: 0), Is.True, "kept entries scaled by 1/(1 − p)");
        Assert.That(Same(first, second), Is.False, "a fresh mask per forward pass");
        using (var t1 = layer.call(x))
        using (var t2 = layer.call(x))
            Assert.That(Same(t1, t2), Is.False, "training outputs vary with the mask");
        Assert.That(layer.named_parameters().Select(p => p.name), Is.EquivalentTo(new[] { "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0" }),
                    "PyTorch nn.LSTM names; no second copy of the dropped weights");
    }

    private static bool Same(Tensor a, Tensor b)
    {
        using var equal = a.eq(b).all();
        return a.shape.SequenceEqual(b.shape) && equal.item<bool>();
    }

    [Test]
    public void ForwardLmIgnoresLaterTokensAndBackwardLmIgnoresEarlierOnes()
    {
        using var lm = TinyScratch(RecurrentConfig.BiLstmType);
        using var _ = no_grad();
        // Row 0 changes at position 4 (ids2) or 2 (ids3); row 1 is shorter and padded.
        long[] a = [2, 5, 6, 7, 8, 9, 3], later = [2, 5, 6, 7, 20, 21, 3], earlier = [2, 5, 22, 7, 8, 9, 3], shortRow = [2, 10, 11, 3, 0, 0, 0];
        using var m = tensor(new long[] { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0 }, [2, 7]);
        using var ids1 = tensor([.. a, .. shortRow], [2, 7]);
        using var ids2 = tensor([.. later, .. shortRow], [2, 7]);
        using var ids3 = tensor([.. earlier, .. shortRow], [2, 7]);
        var (next1, prev1) = lm.Module.Logits(ids1, m);
        var (next2, prev2) = lm.Module.Logits(ids2, m);
        var (_, prev3) = lm.Module.Logits(ids3, m);
        float Diff(Tensor x, Tensor y, Range positions) { using var d = (x[0, positions] - y[0, positions]).abs().max(); return d.item<float>(); }

        Assert.That(Diff(next1, next2, ..4), Is.EqualTo(0f).Within(1e-6f), "forward LM at t < 4 never sees position 4");
        Assert.That(Diff(next1, next2, 4..), Is.GreaterThan(1e-4f), "forward LM at t ≥ 4 does");
        Assert.That(Diff(prev1!, prev3!, 3..), Is.EqualTo(0f).Within(1e-6f), "backward LM at t > 2 never sees position 2");
        Assert.That(Diff(prev1!, prev3!, ..3), Is.GreaterThan(1e-4f), "backward LM at t ≤ 2 does");
        Assert.That(Diff(prev1!, prev2!, ..4), Is.GreaterThan(1e-4f), "the later change reaches the backward LM's earlier positions");

        // The padded row equals the same row alone: padding reaches neither direction.
        using var alone = tensor(new long[] { 2, 10, 11, 3 }, [1, 4]);
        var (nextAlone, prevAlone) = lm.Module.Logits(alone, null);
        using var nextGap = (next1[1, ..4] - nextAlone[0]).abs().max();
        using var prevGap = (prev1![1, ..4] - prevAlone![0]).abs().max();
        Assert.That(nextGap.item<float>(), Is.LessThan(1e-5f));
        Assert.That(prevGap.item<float>(), Is.LessThan(1e-5f));
        foreach (var t in new[] { next1, prev1, next2, prev2, prev3, nextAlone, prevAlone }) t!.Dispose();
    }

    [TestCase(RecurrentConfig.AwdLstmType)]
    [TestCase(RecurrentConfig.BiLstmType)]
    public void SavedModelReloadsWithIdenticalHeldOutLossAndAsAnEncoder(string type)
    {
        using var temp = TestModels.TempDir();
        using var lm = TinyScratch(type);
        var corpus = TransformerLanguageModelTests.AlphabetCorpus(100, seed: 2);
        LanguageModelTrainer.Train(lm, corpus, Causal(steps: 20));
        var expected = lm.Evaluate(corpus, maxTokens: 32);
        string dir = Path.Combine(temp.Path, "lm");
        lm.Save(dir);

        var header = Safetensors.ReadHeader(Path.Combine(dir, ModelDirectory.WeightsFile));
        Assert.That(header.Keys, Does.Contain("encoder.embedding.weight").And.Contain("decoder.bias").And.Contain("encoder.forward_layers.1.weight_hh_l0"));
        Assert.That(header.Keys.Any(k => k.StartsWith("encoder.backward_layers.", StringComparison.Ordinal)), Is.EqualTo(type == RecurrentConfig.BiLstmType));
        Assert.That(header.Keys.Count(k => header[k].Shape.SequenceEqual(new long[] { 31, 16 })), Is.EqualTo(1), "the tied matrix is stored once");
        var config = RecurrentConfig.FromJson(File.ReadAllText(Path.Combine(dir, "config.json")));
        Assert.That(config.ModelType, Is.EqualTo(type));
        Assert.That(File.ReadAllLines(Path.Combine(dir, "vocab.txt")), Is.EqualTo(TestVocab.SmallTokens()));

        using var reloaded = RecurrentLanguageModel.Load(dir);
        Assert.That(reloaded.Evaluate(corpus, maxTokens: 32), Is.EqualTo(expected));

        using var encoder = PretrainedEncoder.Load(dir);
        Assert.That(encoder.ModelType, Is.EqualTo(type));
        Assert.That(encoder.Model.training, Is.False);
        var settings = new EmbeddingSettings { Pooling = PoolingMode.Mean };
        Assert.That(encoder.Embed(corpus[..5], settings), Is.EqualTo(lm.Encoder.Embed(corpus[..5], settings)));
        Assert.That((encoder.Model.VocabSize, encoder.Model.LowerCase), Is.EqualTo((lm.Config.VocabSize, lm.Config.DoLowerCase)));
        Assert.That(() => encoder.UseBFloat16Inference(), Throws.InstanceOf<NotSupportedException>().With.Message.Contain(type));

        string encoderOnly = Path.Combine(temp.Path, "encoder");
        encoder.Save(encoderOnly);
        using var again = PretrainedEncoder.Load(encoderOnly);
        Assert.That(again.Embed(corpus[..5], settings), Is.EqualTo(lm.Encoder.Embed(corpus[..5], settings)), "an encoder saved alone reloads too");
    }

    [TestCase(RecurrentConfig.AwdLstmType)]
    [TestCase(RecurrentConfig.BiLstmType)]
    public void HeldOutLossFallsOnATinyCorpus(string type)
    {
        using var lm = TinyScratch(type, dropoutScale: 0.2);
        var result = LanguageModelTrainer.Train(lm, TransformerLanguageModelTests.AlphabetCorpus(400, seed: 1), Causal(steps: 80, lr: 0.1));
        TestContext.Out.WriteLine($"{type}: loss {result.HeldOutLossBefore:F3} → {result.HeldOutLossAfter:F3}, accuracy " +
                                  $"{result.Before.Accuracy:P0} → {result.After.Accuracy:P0}, {result.TokensPerSecond:F0} tokens/s, {result.Duration.TotalSeconds:F1} s");
        Assert.That(result.HeldOutLossBefore, Is.EqualTo(Math.Log(31)).Within(0.3), "a random model is near uniform over the 31 ids");
        Assert.That(result.HeldOutLossAfter, Is.LessThan(result.HeldOutLossBefore * 0.5));
        Assert.That(result.After.Accuracy, Is.GreaterThan(0.6));
        Assert.That(result.Steps, Is.EqualTo(80));
        Assert.That(result.TrainTokens, Is.GreaterThanOrEqualTo(80L * 2), "80 steps of at least one line of at least two tokens");
        // Throughput counts training steps only, so it is at least the tokens over the whole call (evaluations included).
        Assert.That(result.TokensPerSecond, Is.GreaterThanOrEqualTo(result.TrainTokens / result.Duration.TotalSeconds * 0.999));
    }

    [Test]
    public void TrainingFromScratchStartsTheSoftmaxBiasAtTheUnigramDistribution()
    {
        var corpus = Enumerable.Range(0, 40).Select(i => i % 4 == 0 ? "a a a b" : "a c").ToArray();
        var settings = Causal(steps: 1, lr: 1e-12) with { WeightDecay = 0 };
        using var scratch = TinyScratch(RecurrentConfig.AwdLstmType);
        var result = LanguageModelTrainer.Train(scratch, corpus, settings);
        using var bias = scratch.Module.Decoder.get_parameter("bias")!.detach().clone();
        float Bias(int id) => bias[id].item<float>();
        // Targets: every id after a window's first ([CLS]): a, b, c and [SEP]. 'a' is the most frequent, 'z' never occurs.
        Assert.That(Bias(TestVocab.SmallId('a')), Is.GreaterThan(Bias(TestVocab.SmallId('c'))));
        Assert.That(Bias(TestVocab.SmallId('c')), Is.GreaterThan(Bias(TestVocab.SmallId('b'))));
        Assert.That(Bias(TestVocab.SmallId('z')), Is.LessThan(Bias(TestVocab.SmallId('b'))));
        using var probabilities = bias.exp();
        Assert.That(probabilities.sum().item<float>(), Is.EqualTo(1f).Within(1e-4f), "log probabilities");
        Assert.That(result.HeldOutLossBefore, Is.EqualTo(Math.Log(31)).Within(0.3), "measured before the bias is set");
        Assert.That(result.HeldOutLossAfter, Is.LessThan(result.HeldOutLossBefore - 1));

        using var off = TinyScratch(RecurrentConfig.AwdLstmType);
        LanguageModelTrainer.Train(off, corpus, settings with { UnigramOutputBias = false });
        using var untouched = off.Module.Decoder.get_parameter("bias")!.abs().max();
        Assert.That(untouched.item<float>(), Is.LessThan(1e-6f), "off: the bias stays zero");
    }

    [Test]
    public void AdaptingALoadedRecurrentEncoderTrainsItInPlaceWithTheCausalObjective()
    {
        using var temp = TestModels.TempDir();
        using (var lm = TinyScratch(RecurrentConfig.BiLstmType, dropoutScale: 0.2)) lm.Save(Path.Combine(temp.Path, "bilstm"));
        using var encoder = PretrainedEncoder.Load(Path.Combine(temp.Path, "bilstm"));
        var corpus = TransformerLanguageModelTests.AlphabetCorpus(200, seed: 8);
        var before = encoder.Embed(corpus[..2]);
        // The default settings ask for the masked objective; a recurrent encoder is adapted with the causal one.
        var result = LanguageModelTrainer.Adapt(encoder, corpus, new PretrainingSettings { Steps = 30, BatchSize = 16, MaxTokens = 32, LearningRate = 0.05 });
        Assert.That(result.Objective, Is.EqualTo(LanguageModelObjective.CausalLm));
        Assert.That(result.HeldOutLossAfter, Is.LessThan(result.HeldOutLossBefore));
        Assert.That(encoder.Embed(corpus[..2]), Is.Not.EqualTo(before), "the encoder itself was trained");
        Assert.That(encoder.Model.training, Is.False, "back in eval mode");
    }

    [Test]
    public void InterruptedRecurrentRunResumesFromItsCheckpointToTheSameWeights()
    {
        using var temp = TestModels.TempDir();
        var corpus = TransformerLanguageModelTests.AlphabetCorpus(120, seed: 4);
        PretrainingSettings Settings(string? checkpoints) => Causal(steps: 10) with { CheckpointDirectory = checkpoints, CheckpointEverySteps = 4 };
        using var straight = TinyScratch(RecurrentConfig.AwdLstmType, seed: 1);
        var expected = LanguageModelTrainer.Train(straight, corpus, Settings(null)).After;

        string checkpoints = Path.Combine(temp.Path, "ckpt");
        using var cancel = new CancellationTokenSource();
        using (var interrupted = TinyScratch(RecurrentConfig.AwdLstmType, seed: 1))
        {
            var progress = new SyncProgress(p => { if (p.Step == 4) cancel.Cancel(); });
            Assert.That(() => LanguageModelTrainer.Train(interrupted, corpus, Settings(checkpoints), progress, cancel.Token), Throws.InstanceOf<OperationCanceledException>());
        }
        using var resumed = TinyScratch(RecurrentConfig.AwdLstmType, seed: 99);
        var result = LanguageModelTrainer.Train(resumed, corpus, Settings(checkpoints));
        Assert.That(result.Steps, Is.EqualTo(10));
        Assert.That(result.After, Is.EqualTo(expected), "dropout masks included: the RNG state is part of the checkpoint");
    }

    [Test]
    public void ParameterGroupsRankRecurrentLayersFromTheTopDown()
    {
        using var lm = TinyScratch(RecurrentConfig.BiLstmType);
        var groups = ParameterGroups.Build(lm.Module, lm.Module.Encoder, "encoder.", learningRate: 1e-2, layerDecay: 0.5, weightDecay: 0.1);
        int DepthOf(string name) => groups.Single(g => g.Names.Contains(name)).Depth;
        Assert.That(DepthOf("decoder.bias"), Is.EqualTo(0));
        Assert.That(DepthOf("encoder.forward_layers.1.weight_hh_l0"), Is.EqualTo(1));
        Assert.That(DepthOf("encoder.backward_layers.1.weight_ih_l0"), Is.EqualTo(1), "both directions of a layer share its depth");
        Assert.That(DepthOf("encoder.forward_layers.0.weight_hh_l0"), Is.EqualTo(2));
        Assert.That(DepthOf("encoder.embedding.weight"), Is.EqualTo(3));
        var embedding = groups.Single(g => g.Names.Contains("encoder.embedding.weight"));
        Assert.That(embedding.PeakLearningRate, Is.EqualTo(1e-2 * 0.125).Within(1e-12), "discriminative rates: halved per layer down");
        Assert.That(groups.Single(g => g.Names.Contains("encoder.forward_layers.0.bias_hh_l0")).WeightDecay, Is.EqualTo(0), "no decay on biases");
        Assert.That(groups.Sum(g => g.Parameters.Count), Is.EqualTo(lm.Module.parameters().Count()));
    }

    [Test]
    public void MaskedObjectiveAndTransformerLoadersRefuseRecurrentModelsClearly()
    {
        using var temp = TestModels.TempDir();
        using var lm = TinyScratch(RecurrentConfig.AwdLstmType);
        var corpus = TransformerLanguageModelTests.AlphabetCorpus(20, seed: 1);
        Assert.That(() => LanguageModelTrainer.Train(lm, corpus, new PretrainingSettings { Objective = LanguageModelObjective.MaskedLm }),
                    Throws.ArgumentException.With.Message.Contain("causal"));
        string dir = Path.Combine(temp.Path, "awd");
        lm.Save(dir);
        Assert.That(() => TransformerLanguageModel.Load(dir), Throws.ArgumentException.With.Message.Contain(nameof(RecurrentLanguageModel)));
        using var encoder = PretrainedEncoder.Load(dir);
        Assert.That(() => TransformerLanguageModel.FromEncoder(encoder), Throws.ArgumentException.With.Message.Contain("awd-lstm"));
        File.WriteAllText(Path.Combine(dir, "config.json"), (Tiny(RecurrentConfig.AwdLstmType) with { HiddenSize = 40 }).ToJson());
        Assert.That(() => PretrainedEncoder.Load(dir), Throws.InstanceOf<InvalidDataException>().With.Message.Contain("forward_layers.0"));
    }
}
