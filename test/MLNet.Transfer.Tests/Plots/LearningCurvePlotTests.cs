using MLNet.Transfer.Plots;

namespace MLNet.Transfer.Tests.Plots;

[Category("Unit")]
public class LearningCurvePlotTests
{
    private static readonly int[] Sizes = [16, 32, 64, 128, 256, 512];

    private static CurveSeries Series(string name, double start, double slope, double std) =>
        new(name, Sizes.Select((x, i) => new CurvePoint(x, start + slope * i, std)).ToList());

    [Test]
    public void WritesAPngWithOneLineAndBandPerSeries()
    {
        using var temp = TestModels.TempDir();
        string path = Path.Combine(temp.Path, "sub", "curve.png");
        LearningCurvePlot.Save(path, "UCI sentiment", "training examples", "accuracy",
            [Series("fine-tune", 0.6, 0.06, 0.03), Series("features", 0.55, 0.05, 0.02), Series("baseline", 0.5, 0.02, 0)]);
        var (width, height) = PngAssert.IsPlot(path);
        Assert.That((width, height), Is.EqualTo((900, 540)));
        PngAssert.HasTitleText(path);
        PngAssert.NoTempFiles(Path.GetDirectoryName(path)!);
    }

    [Test]
    public void LinearAxisAcceptsZeroAndNaNPointsAreSkipped()
    {
        using var temp = TestModels.TempDir();
        string path = Path.Combine(temp.Path, "linear.png");
        var points = new List<CurvePoint> { new(0, 0.5, 0.1), new(1, double.NaN, 0), new(2, 0.7, double.NaN), new(3, 0.8, 0.05) };
        LearningCurvePlot.Save(path, "linear", "epochs", "accuracy", [new CurveSeries("run", points)], logX: false);
        PngAssert.IsPlot(path);
    }

    [Test]
    public void SinglePointSeriesGetsErrorBars()
    {
        using var temp = TestModels.TempDir();
        string path = Path.Combine(temp.Path, "one.png");
        LearningCurvePlot.Save(path, "one point", "n", "accuracy", [new CurveSeries("only", [new CurvePoint(100, 0.8, 0.05)])]);
        PngAssert.IsPlot(path);
    }

    [Test]
    public void OverwritesAnExistingFileAndLeavesItUntouchedOnBadArguments()
    {
        using var temp = TestModels.TempDir();
        string path = Path.Combine(temp.Path, "curve.png");
        File.WriteAllText(path, "old");
        LearningCurvePlot.Save(path, "t", "x", "y", [Series("a", 0.5, 0.1, 0.01)]);
        PngAssert.IsPlot(path);
        byte[] written = File.ReadAllBytes(path);
        Assert.Throws<ArgumentException>(() => LearningCurvePlot.Save(path, "t", "x", "y", []));
        Assert.That(File.ReadAllBytes(path), Is.EqualTo(written));
        PngAssert.NoTempFiles(temp.Path);
    }

    [Test]
    public void BadArgumentsNameTheProblem()
    {
        using var temp = TestModels.TempDir();
        string path = Path.Combine(temp.Path, "bad.png");
        void Save(IReadOnlyList<CurveSeries> series, bool logX = true) => LearningCurvePlot.Save(path, "t", "x", "y", series, logX);

        Assert.That(() => Save([]), Throws.ArgumentException.With.Message.Contains("series is empty"));
        Assert.That(() => Save([new CurveSeries("empty", [])]), Throws.ArgumentException.With.Message.Contains("'empty' has no points"));
        Assert.That(() => Save([new CurveSeries("nan", [new CurvePoint(1, double.NaN, 0), new CurvePoint(2, double.NaN, 0)])]),
            Throws.ArgumentException.With.Message.Contains("'nan' has no finite Mean"));
        Assert.That(() => Save([new CurveSeries("zero", [new CurvePoint(0, 0.5, 0)])]),
            Throws.ArgumentException.With.Message.Contains("log2 x axis needs X > 0"));
        Assert.That(() => Save([new CurveSeries("neg", [new CurvePoint(1, 0.5, -0.1)])]),
            Throws.ArgumentException.With.Message.Contains("negative Std"));
        Assert.That(() => Save([new CurveSeries("inf", [new CurvePoint(double.PositiveInfinity, 0.5, 0)])], logX: false),
            Throws.ArgumentException.With.Message.Contains("X must be finite"));
        Assert.That(() => LearningCurvePlot.Save("", "t", "x", "y", [Series("a", 0.5, 0.1, 0)]),
            Throws.ArgumentException.With.Message.Contains("output path is empty"));
        Assert.That(File.Exists(path), Is.False);
    }
}
