using MLNet.Transfer.Training;

namespace MLNet.Transfer.Tests.Training;

[Category("Unit")]
public class ParameterGroupTests
{
    [Test]
    public void DiscriminativeRatesDecayPerBlockFromTheTop()
    {
        using var model = TinyTask.NewModel();
        var groups = ParameterGroups.Build(model, learningRate: 1e-3, layerDecay: 0.5, weightDecay: 0.01);
        // 2 blocks: head depth 0, block 1 depth 1, block 0 depth 2, embeddings depth 3
        foreach (var g in groups)
            Assert.That(g.PeakLearningRate, Is.EqualTo(1e-3 * Math.Pow(0.5, g.Depth)).Within(1e-15));
        Assert.That(groups.Where(g => g.Depth == 0).SelectMany(g => g.Names), Has.All.StartsWith("heads."));
        Assert.That(groups.Where(g => g.Depth == 1).SelectMany(g => g.Names), Has.All.StartsWith("bert.encoder.layer.1."));
        Assert.That(groups.Where(g => g.Depth == 2).SelectMany(g => g.Names), Has.All.StartsWith("bert.encoder.layer.0."));
        Assert.That(groups.Where(g => g.Depth == 3).SelectMany(g => g.Names), Has.All.StartsWith("bert.embeddings."));
        Assert.That(groups.Sum(g => g.Parameters.Count), Is.EqualTo(model.parameters().Count()));
    }

    [Test]
    public void NoWeightDecayOnBiasesAndLayerNorm()
    {
        using var model = TinyTask.NewModel();
        var groups = ParameterGroups.Build(model, 1e-3, 1, 0.01);
        foreach (var g in groups)
            foreach (var name in g.Names)
            {
                bool exempt = name.EndsWith(".bias") || name.Contains("LayerNorm.");
                Assert.That(g.WeightDecay, Is.EqualTo(exempt ? 0 : 0.01), name);
            }
    }

    [Test]
    public void GradualUnfreezingOpensOneMoreBlockPerEpochFromTheTop()
    {
        // depth 0 = head, 1 = top block, 2 = next, 3 = embeddings; k = 1
        bool[][] expected =
        [
            [true, false, false, false], // epoch 0: head only
            [true, true, false, false],  // epoch 1: + top block
            [true, true, true, false],
            [true, true, true, true],
        ];
        for (int epoch = 0; epoch < 4; epoch++)
            for (int depth = 0; depth < 4; depth++)
                Assert.That(ParameterGroups.IsTrainable(depth, epoch, 1), Is.EqualTo(expected[epoch][depth]), $"epoch {epoch} depth {depth}");
        Assert.That(ParameterGroups.IsTrainable(3, 0, 0), Is.True, "k = 0 trains everything");
    }
}
