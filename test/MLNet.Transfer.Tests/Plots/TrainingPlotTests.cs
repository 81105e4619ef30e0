using MLNet.Transfer.Plots;
using MLNet.Transfer.Training;

namespace MLNet.Transfer.Tests.Plots;

[Category("Unit")]
public class TrainingPlotTests
{
    /// <summary>One report per step (loss decaying), with validation metrics every <paramref name="evaluateEvery"/> steps.</summary>
    private static List<TrainingProgress> History(int steps, int evaluateEvery, Func<int, double>? loss = null) =>
        Enumerable.Range(1, steps).Select(s => new TrainingProgress(
            1 + (s - 1) * 3 / steps, 3, s, steps, loss?.Invoke(s) ?? 0.7 * Math.Exp(-s / 20.0) + 0.03 * Math.Sin(s), 1e-4, 1000, TimeSpan.Zero,
            evaluateEvery > 0 && s % evaluateEvery == 0
                ? new Dictionary<string, double> { ["sentiment.accuracy"] = 0.6 + s / 300.0, ["score"] = 0.6 + s / 300.0 }
                : null)).ToList();

    [Test]
    public void WritesLossAndValidationPanels()
    {
        using var temp = TestModels.TempDir();
        string path = Path.Combine(temp.Path, "training.png");
        TrainingPlot.Save(path, History(60, 20));
        var (width, height) = PngAssert.IsPlot(path);
        Assert.That((width, height), Is.EqualTo((900, 760)), "two stacked panels");
        PngAssert.HasTitleText(path);
        PngAssert.NoTempFiles(temp.Path);
    }

    [Test]
    public void WithoutEvaluationsOnlyTheLossPanelIsDrawn()
    {
        using var temp = TestModels.TempDir();
        string path = Path.Combine(temp.Path, "training.png");
        TrainingPlot.Save(path, History(30, 0), "no validation");
        Assert.That(PngAssert.IsPlot(path), Is.EqualTo((900, 380)));
    }

    [Test]
    public void NaNLossesAloneStillPlotTheValidationMetrics()
    {
        using var temp = TestModels.TempDir();
        string path = Path.Combine(temp.Path, "training.png");
        TrainingPlot.Save(path, History(40, 10, _ => double.NaN));
        Assert.That(PngAssert.IsPlot(path), Is.EqualTo((900, 380)));
    }

    [Test]
    public void EmptyOrAllNaNHistoryIsRejected()
    {
        using var temp = TestModels.TempDir();
        string path = Path.Combine(temp.Path, "training.png");
        Assert.That(() => TrainingPlot.Save(path, []), Throws.ArgumentException.With.Message.Contains("history is empty"));
        var nan = History(10, 5, _ => double.NaN).Select(p => p.Validation is null ? p : p with { Validation = new Dictionary<string, double> { ["score"] = double.NaN } }).ToList();
        Assert.That(() => TrainingPlot.Save(path, nan), Throws.ArgumentException.With.Message.Contains("no finite training loss and no finite validation metric"));
        Assert.That(File.Exists(path), Is.False);
    }
}
