using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transfer.Plots;

namespace MLNet.Transfer.Tests.Plots;

[Category("Unit")]
public class ConfusionMatrixPlotTests
{
    private sealed class BinaryScored { public bool Label { get; set; } public float Score { get; set; } public bool PredictedLabel { get; set; } }

    private sealed class MulticlassScored
    {
        [KeyType(4)] public uint Label { get; set; }
        [KeyType(4)] public uint PredictedLabel { get; set; }
        [VectorType(4)] public float[] Score { get; set; } = [];
    }

    /// <summary>ML.NET's binary confusion matrix of 4 true positives, 1 false negative, 2 false positives, 3 true negatives.</summary>
    private static ConfusionMatrix Binary()
    {
        var ml = new MLContext(1);
        (bool Label, bool Predicted)[] rows = [.. Enumerable.Repeat((true, true), 4), (true, false), .. Enumerable.Repeat((false, true), 2), .. Enumerable.Repeat((false, false), 3)];
        var data = ml.Data.LoadFromEnumerable(rows.Select(r => new BinaryScored { Label = r.Label, PredictedLabel = r.Predicted, Score = r.Predicted ? 1 : -1 }));
        return ml.BinaryClassification.EvaluateNonCalibrated(data).ConfusionMatrix;
    }

    /// <summary>A 4-class matrix from ML.NET's multiclass evaluator (one row in five mispredicted).</summary>
    private static ConfusionMatrix Multiclass()
    {
        var ml = new MLContext(1);
        var rows = Enumerable.Range(0, 200).Select(i =>
        {
            int truth = i % 4, predicted = i % 5 == 0 ? (truth + 1 + i % 3) % 4 : truth;
            var score = new float[4];
            score[predicted] = 1;
            return new MulticlassScored { Label = (uint)truth + 1, PredictedLabel = (uint)predicted + 1, Score = score };
        });
        return ml.MulticlassClassification.Evaluate(ml.Data.LoadFromEnumerable(rows)).ConfusionMatrix;
    }

    [Test]
    public void BinaryMatrixFromTheEvaluatorIsAHeatmapPng()
    {
        var matrix = Binary();
        Assert.That(matrix.Counts[0], Is.EqualTo(new[] { 4.0, 1.0 }), "ML.NET puts the positive class first");
        using var temp = TestModels.TempDir();
        string path = Path.Combine(temp.Path, "confusion.png");
        ConfusionMatrixPlot.Save(path, matrix, ["positive", "negative"]);
        var (width, height) = PngAssert.IsPlot(path);
        Assert.That(width, Is.GreaterThan(300));
        Assert.That(height, Is.GreaterThan(300));
        PngAssert.HasTitleText(path);
        PngAssert.NoTempFiles(temp.Path);
    }

    [Test]
    public void MulticlassMatrixWithLongNamesIsAHeatmapPng()
    {
        var matrix = Multiclass();
        Assert.That(matrix.NumberOfClasses, Is.EqualTo(4));
        using var temp = TestModels.TempDir();
        string path = Path.Combine(temp.Path, "confusion.png");
        ConfusionMatrixPlot.Save(path, matrix, ["sport", "science and technology", "world", "a very long class name that will be shortened"], "AG News");
        PngAssert.IsPlot(path);
    }

    [Test]
    public void ClassNameCountMustMatchTheMatrix()
    {
        using var temp = TestModels.TempDir();
        string path = Path.Combine(temp.Path, "confusion.png");
        Assert.That(() => ConfusionMatrixPlot.Save(path, Binary(), ["only one"]),
            Throws.ArgumentException.With.Message.Contains("classNames has 1 names but the confusion matrix has 2 classes"));
        Assert.That(() => ConfusionMatrixPlot.Save(path, Multiclass(), ["a", "b", "c"]),
            Throws.ArgumentException.With.Message.Contains("has 4 classes"));
        Assert.That(() => ConfusionMatrixPlot.Save(path, null!, ["a"]), Throws.ArgumentNullException);
        Assert.That(File.Exists(path), Is.False);
    }
}
