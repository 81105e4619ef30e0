using MLNet.Transfer.Plots;

namespace MLNet.Transfer.Tests.Plots;

[Category("Unit")]
public class AttentionHeatmapPlotTests
{
    [Test]
    public void WritesAHeatmapOfATokenMatrix()
    {
        using var temp = TestModels.TempDir();
        string path = Path.Combine(temp.Path, "graph.png");
        string[] tokens = ["[CLS]", "a", "charming", "and", "affecting", "journey", "[SEP]"];
        var weights = new float[7, 7];
        for (int i = 0; i < 7; i++)
            for (int j = 0; j < 7; j++) weights[i, j] = 1f / (1 + Math.Abs(i - j));
        AttentionHeatmapPlot.Save(path, tokens, weights, "GLoMo-style (reduced) graph, layer 1");
        var (width, height) = PngAssert.IsPlot(path);
        Assert.That(width, Is.GreaterThan(400));
        Assert.That(height, Is.GreaterThan(400));
        PngAssert.HasTitleText(path);
        PngAssert.NoTempFiles(temp.Path);
    }

    [Test]
    public void RefusesAMatrixThatDoesNotMatchTheTokens()
    {
        using var temp = TestModels.TempDir();
        Assert.That(() => AttentionHeatmapPlot.Save(Path.Combine(temp.Path, "x.png"), ["a", "b"], new float[2, 3]),
                    Throws.ArgumentException.With.Message.Contain("square"));
        Assert.That(File.Exists(Path.Combine(temp.Path, "x.png")), Is.False);
    }
}
