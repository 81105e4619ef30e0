using MLNet.Transfer.Models.Glomo;
using MLNet.Transfer.Tests.Pretraining;
using MLNet.Transfer.Training;
using static TorchSharp.torch;

namespace MLNet.Transfer.Tests.Glomo;

/// <summary>The transfer side: the gate mixes graph-aggregated and original features as designed; the downstream classifier trains.</summary>
[Category("Unit")]
public class GraphMixingTests
{
    [TestCase(0.0)]
    [TestCase(2.0)]
    [TestCase(-40.0)]
    [TestCase(40.0)]
    public void GateMixesAggregatedAndOriginalFeatures(double gateBias)
    {
        manual_seed(4);
        using var mixing = new GraphMixing(graphLayers: 2, width: 3);
        using (no_grad()) mixing.Gate.bias!.fill_(gateBias);
        using var features = randn(1, 4, 3);
        using var first = softmax(randn(1, 4, 4), -1);
        using var second = softmax(randn(1, 4, 4), -1);
        using var graphs = stack([first, second]);
        using var mixed = mixing.call(features, graphs);

        double g = 1 / (1 + Math.Exp(-gateBias)); // zero gate weights: g = σ(bias) everywhere
        using var graph = (first + second) / 2;  // zero layer weights: the layers' mean
        using var aggregated = graph.matmul(features);
        using var expected = aggregated * g + features * (1 - g);
        Assert.That(mixed.data<float>().ToArray(), Is.EqualTo(expected.data<float>().ToArray()).Within(1e-5f));
        if (gateBias < -30) Assert.That(mixed.data<float>().ToArray(), Is.EqualTo(features.data<float>().ToArray()).Within(1e-6f), "closed gate: the originals");
        if (gateBias > 30) Assert.That(mixed.data<float>().ToArray(), Is.EqualTo(aggregated.data<float>().ToArray()).Within(1e-6f), "open gate: m_t = Σ_j G_tj f_j");
    }

    [Test]
    public void GateDependsOnEachTokensFeaturesOnceTrained()
    {
        manual_seed(5);
        using var mixing = new GraphMixing(1, 2);
        using (no_grad())
        {
            mixing.Gate.weight!.zero_();
            mixing.Gate.weight![0, 0].fill_(100); // g₀ = σ(100 · f₀): open where f₀ > 0, closed where f₀ < 0
        }
        using var features = tensor(new float[] { 1, 5, -1, 7 }, [1, 2, 2]);
        using var graphs = tensor(new float[] { 0, 1, 1, 0 }, [1, 1, 2, 2]); // each token takes the other's features
        using var mixed = mixing.call(features, graphs);
        // dimension 0: token 0 (f₀ = 1) open → −1; token 1 (f₀ = −1) closed → −1. dimension 1: gate ½ → (5+7)/2 for both.
        Assert.That(mixed.data<float>().ToArray(), Is.EqualTo(new[] { -1f, 6f, -1f, 6f }).Within(1e-4f));
    }

    [Test]
    public void ClassifierWithGraphsLearnsASeparableTask()
    {
        using var lm = GlomoGraphTests.TinyScratch(seed: 7);
        manual_seed(1);
        using var table = randn(lm.Tokenizer.VocabSize, 8);
        var texts = Enumerable.Range(0, 24).Select(i => i % 2 == 0 ? $"a b c {(char)('k' + i % 8)}" : $"x y z {(char)('k' + i % 8)}").ToArray();
        var labels = Enumerable.Range(0, 24).Select(i => i % 2).ToArray();
        var settings = new GraphTransferSettings { Epochs = 15, HiddenSize = 8, Seed = 3 };
        using var withGraphs = GraphTransferTrainer.Train(lm, lm.Tokenizer, table, texts, labels, 2, settings);
        using var without = GraphTransferTrainer.Train(null, lm.Tokenizer, table, texts, labels, 2, settings);
        Assert.That(withGraphs.UsesGraphs && !without.UsesGraphs);
        Assert.That(GraphTransferTrainer.Predict(withGraphs, lm, lm.Tokenizer, texts), Is.EqualTo(labels));
        Assert.That(GraphTransferTrainer.Predict(without, null, lm.Tokenizer, texts), Is.EqualTo(labels));
    }
}
