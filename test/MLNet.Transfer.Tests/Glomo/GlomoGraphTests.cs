using MLNet.Transfer.Models.Glomo;
using MLNet.Transfer.Pretraining;
using MLNet.Transfer.Tests.Pretraining;
using MLNet.Transfer.Tests.Text;
using MLNet.Transfer.Text;
using static TorchSharp.torch;

namespace MLNet.Transfer.Tests.Glomo;

/// <summary>The GLoMo-style (reduced) graph model on tiny random models: graph normalisation, no look-ahead, persistence, training.</summary>
[Category("Unit")]
public class GlomoGraphTests
{
    internal static GlomoConfig Tiny => new() { EmbeddingSize = 16, GraphLayers = 2, Heads = 2, KeySize = 8, ConvWidth = 3, PredictionSteps = 3, Dropout = 0.1 };

    internal static GlomoLanguageModel TinyScratch(int seed = 1) => GlomoLanguageModel.FromScratch(Tiny with { VocabSize = 31 }, TestVocab.Small(), seed);

    /// <summary>Two rows, the second padded: letters a … j and c … g.</summary>
    private static TokenBatch Batch(BertWordPieceTokenizer tokenizer) =>
        TokenBatch.Create([tokenizer.Encode("a b c d e f g h i j", 32), tokenizer.Encode("c d e f g", 32)], tokenizer.PadId);

    /// <summary>Graph scores large enough that the untrained graphs are far from uniform (so the checks see real variation).</summary>
    private static void SharpenGraphs(GlomoLanguageModel lm)
    {
        using var _ = no_grad();
        foreach (var (name, p) in lm.Network.named_parameters())
            if (name.StartsWith("graph_predictor.", StringComparison.Ordinal) && name.EndsWith(".weight", StringComparison.Ordinal)) p.mul_(40);
        foreach (var (name, p) in lm.Network.named_parameters())
            if (name == "embeddings.weight") p.mul_(10);
    }

    [Test]
    public void GraphRowsAreNonNegativeAndSumToOne()
    {
        using var lm = TinyScratch();
        SharpenGraphs(lm);
        using var batch = Batch(lm.Tokenizer);
        using var graphs = lm.Graphs(batch);
        Assert.That(graphs.shape, Is.EqualTo(new long[] { 2, 2, batch.SequenceLength, batch.SequenceLength }));
        Assert.That(graphs.min().item<float>(), Is.GreaterThanOrEqualTo(0f));
        using var sums = graphs.sum([-1L]);
        Assert.That((sums - 1).abs().max().item<float>(), Is.LessThan(1e-5f));
        using var spread = graphs[0, 0, 5].std();
        Assert.That(spread.item<float>(), Is.GreaterThan(0.02f), "the rows vary (the check would pass trivially on constant rows)");

        // One direction: rows never look ahead and never at padding; every head's row sums to 1 as well.
        using var mask = batch.AttentionMask.to(ScalarType.Float32);
        using var embedded = lm.Network.Forward(batch.InputIds, batch.TokenTypeIds, batch.AttentionMask)[0];
        var forward = lm.Network.GraphPredictor.Forward(embedded.narrow(-1, 0, 16), mask);
        foreach (var g in forward)
        {
            Assert.That(g.min().item<float>(), Is.GreaterThanOrEqualTo(0f));
            Assert.That((g.sum([-1L]) - 1).abs().max().item<float>(), Is.LessThan(1e-5f));
            Assert.That(g.triu(1).abs().max().item<float>(), Is.EqualTo(0f), "no edge to a later token");
            int real = batch.Lengths[1];
            Assert.That(g[1, .., ..real, real..].abs().max().item<float>(), Is.EqualTo(0f), "no edge from a real token to padding");
        }
    }

    [Test]
    public void SquaredReluNormalisationMatchesTheFormula()
    {
        using var scores = tensor(new float[] { 2, -1, 0.5f, 3 }, [1, 2, 2]);
        using var allowed = ones(2, 2);
        using var rows = GraphPredictor.SquaredReluRows(scores, allowed);
        // row 0: ReLU(2)² = 4, ReLU(−1)² = 0 → [1, 0]; row 1: 0.25, 9 → [0.25, 9] / 9.25
        Assert.That(rows.data<float>().ToArray(), Is.EqualTo(new[] { 1f, 0f, 0.25f / 9.25f, 9f / 9.25f }).Within(1e-5f));
        using var none = tensor(new float[] { -1, -2, -3, -4 }, [1, 2, 2]);
        using var selfLoops = GraphPredictor.SquaredReluRows(none, allowed);
        Assert.That(selfLoops.data<float>().ToArray(), Is.EqualTo(new[] { 1f, 0f, 0f, 1f }).Within(1e-6f), "a row without positive affinity is a self-loop");
    }

    [Test]
    public void PredictionNeverSeesThePredictedToken()
    {
        using var lm = TinyScratch(seed: 3);
        SharpenGraphs(lm);
        lm.Network.eval();
        using var _ = no_grad();
        long[] original = [2, 5, 6, 7, 8, 9, 10, 11, 12, 13, 3];
        const int t = 4;
        using var ids = tensor(original, [1, original.Length]);
        var future = (long[])original.Clone();
        for (int i = t + 1; i < future.Length; i++) future[i] = 30 - i; // the predicted tokens and everything after them
        using var changedFuture = tensor(future, [1, future.Length]);
        var past = (long[])original.Clone();
        for (int i = 0; i < t; i++) past[i] = 20 + i;
        using var changedPast = tensor(past, [1, past.Length]);

        for (int d = 1; d <= lm.Config.PredictionSteps; d++)
        {
            using var before = lm.Network.LogitsAhead(ids, null, d)[0, ..(t + 1)];
            using var after = lm.Network.LogitsAhead(changedFuture, null, d)[0, ..(t + 1)];
            Assert.That((before - after).abs().max().item<float>(), Is.EqualTo(0f), $"left to right, d = {d}: positions ≤ {t} never see tokens after {t}");
            using var seen = lm.Network.LogitsAhead(changedPast, null, d)[0, t];
            Assert.That((before[t] - seen).abs().max().item<float>(), Is.GreaterThan(1e-4f), "the context does matter (the check can fail)");

            using var backBefore = lm.Network.LogitsAhead(ids, null, d, backward: true)[0, t..];
            using var backAfter = lm.Network.LogitsAhead(changedPast, null, d, backward: true)[0, t..];
            Assert.That((backBefore - backAfter).abs().max().item<float>(), Is.EqualTo(0f), $"right to left, d = {d}: positions ≥ {t} never see tokens before {t}");
            using var backSeen = lm.Network.LogitsAhead(changedFuture, null, d, backward: true)[0, t];
            Assert.That((backBefore[0] - backSeen).abs().max().item<float>(), Is.GreaterThan(1e-4f));
        }
    }

    [Test]
    public void TargetsAreTheTokensDStepsAwayBetweenRealTokens()
    {
        using var ids = tensor(new long[] { 2, 5, 6, 3, 0, 2, 7, 8, 9, 3 }, [2, 5]);
        using var mask = tensor(new float[] { 1, 1, 1, 1, 0, 1, 1, 1, 1, 1 }, [2, 5]);
        using var two = GlomoNetwork.TargetsAhead(ids, mask, 2);
        const long x = GlomoNetwork.IgnoreLabel;
        Assert.That(two.data<long>().ToArray(), Is.EqualTo(new[] { 6L, 3, x, x, x, 8, 9, 3, x, x }));
    }

    [Test]
    public void SaveThenLoadGivesIdenticalGraphs()
    {
        using var lm = TinyScratch(seed: 5);
        LanguageModelTrainer.Train(lm, TransformerLanguageModelTests.AlphabetCorpus(60, seed: 3), Settings(steps: 3));
        using var temp = TestModels.TempDir();
        string dir = Path.Combine(temp.Path, "glomo");
        lm.Save(dir);
        using var loaded = GlomoLanguageModel.Load(dir);
        Assert.That(loaded.Config, Is.EqualTo(lm.Config with { Architectures = loaded.Config.Architectures }));
        Assert.That(File.ReadAllText(Path.Combine(dir, "config.json")), Does.Contain("\"model_type\": \"glomo\""));
        using var batch = Batch(lm.Tokenizer);
        using var expected = lm.Graphs(batch);
        using var actual = loaded.Graphs(batch);
        Assert.That(expected.std().item<float>(), Is.GreaterThan(0f));
        Assert.That(actual.data<float>().ToArray(), Is.EqualTo(expected.data<float>().ToArray()), "bit-identical graphs");
        using var logits = lm.Network.LogitsAhead(batch.InputIds, batch.AttentionMask, 2);
        using var loadedLogits = loaded.Network.LogitsAhead(batch.InputIds, batch.AttentionMask, 2);
        Assert.That(loadedLogits.data<float>().ToArray(), Is.EqualTo(logits.data<float>().ToArray()), "and the feature predictor");
    }

    [Test]
    public void TrainingLowersTheHeldOutLoss()
    {
        using var lm = TinyScratch(seed: 2);
        var result = LanguageModelTrainer.Train(lm, TransformerLanguageModelTests.AlphabetCorpus(300, seed: 1), Settings(steps: 60));
        TestContext.Out.WriteLine($"loss {result.HeldOutLossBefore:F3} → {result.HeldOutLossAfter:F3}, accuracy {result.Before.Accuracy:P1} → {result.After.Accuracy:P1}");
        Assert.That(result.HeldOutLossAfter, Is.LessThan(result.HeldOutLossBefore - 0.5));
        Assert.That(result.After.Accuracy, Is.GreaterThan(0.3), "an alphabet is predictable d steps ahead");
        Assert.That(() => LanguageModelTrainer.Train(lm, ["a b", "c d"], Settings(1) with { Objective = LanguageModelObjective.MaskedLm }),
                    Throws.ArgumentException.With.Message.Contain("causal"));
    }

    internal static PretrainingSettings Settings(int steps) => new()
    {
        Objective = LanguageModelObjective.CausalLm, Steps = steps, BatchSize = 16, MaxTokens = 32, LearningRate = 1e-2, ValidFraction = 0.1, Seed = 5,
    };
}
