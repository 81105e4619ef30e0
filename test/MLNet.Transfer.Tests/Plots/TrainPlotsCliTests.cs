using MLNet.Transfer.Cli;
using MLNet.Transfer.Tests.Cli;

namespace MLNet.Transfer.Tests.Plots;

/// <summary><c>train --plots DIR</c> writes the fine-tuning history and the validation confusion matrix as PNGs.</summary>
[NonParallelizable]
[Category("Unit")]
public class TrainPlotsCliTests
{
    private static (int Code, string Out, string Err) Run(params string[] args) => InProcessCli.Run(args);

    private static string SmallTsv(string directory)
    {
        string path = Path.Combine(directory, "small.tsv");
        string[] good = ["great food", "loved it", "wonderful staff", "very tasty"], bad = ["awful service", "hated it", "cold and bland", "never again"];
        File.WriteAllLines(path, ["Label\tText", .. Enumerable.Range(0, 80).Select(i => i % 2 == 0 ? $"1\t{good[i / 2 % 4]} {i}" : $"0\t{bad[i / 2 % 4]} {i}")]);
        return path;
    }

    [Test]
    public void FineTuneWritesTrainingAndConfusionPngs()
    {
        using var temp = TestModels.TempDir();
        string model = TestModels.TinyModelDirectory(temp.Path), plots = Path.Combine(temp.Path, "plots");
        var (code, output, error) = Run("train", "--task", "binary", "--approach", "finetune", "--model", model, "--epochs", "2",
                                        "--train", SmallTsv(temp.Path), "--plots", plots, "--output", Path.Combine(temp.Path, "model.zip"));
        Assert.That(code, Is.EqualTo(0), error);
        Assert.That(output, Does.Contain("Wrote " + Path.Combine(plots, "training.png")).And.Contain("Wrote " + Path.Combine(plots, "confusion.png")));
        Assert.That(PngAssert.IsPlot(Path.Combine(plots, "training.png")), Is.EqualTo((900, 760)), "loss panel and validation panel");
        PngAssert.IsPlot(Path.Combine(plots, "confusion.png"));
        Assert.That(Directory.GetFiles(plots).Select(Path.GetFileName), Is.EquivalentTo(new[] { "training.png", "confusion.png" }));
    }

    [Test]
    public void MultiTaskWritesTrainingAndOneConfusionPngPerClassificationTask()
    {
        using var temp = TestModels.TempDir();
        string model = TestModels.TinyModelDirectory(temp.Path), plots = Path.Combine(temp.Path, "plots"), topic = Path.Combine(temp.Path, "topic.tsv");
        File.WriteAllLines(topic, ["Text\tTopic", .. Enumerable.Range(0, 60).Select(i => $"text {i}\t{new[] { "sport", "tech", "world" }[i % 3]}")]);
        var (code, _, error) = Run("train", "--task", "multitask", "--train", $"sentiment={SmallTsv(temp.Path)}:Label:binary", "--train", $"topic={topic}:Topic:multiclass",
                                   "--model", model, "--epochs", "1", "--batch-size", "16", "--plots", plots, "--output", Path.Combine(temp.Path, "mt.zip"));
        Assert.That(code, Is.EqualTo(0), error);
        Assert.That(Directory.GetFiles(plots).Select(Path.GetFileName), Is.EquivalentTo(new[] { "training.png", "confusion-sentiment.png", "confusion-topic.png" }));
        foreach (string png in Directory.GetFiles(plots)) PngAssert.IsPlot(png);
    }

    [Test]
    public void BaselineWritesOnlyTheConfusionPng()
    {
        using var temp = TestModels.TempDir();
        string plots = Path.Combine(temp.Path, "plots");
        var (code, _, error) = Run("train", "--task", "binary", "--approach", "baseline", "--train", SmallTsv(temp.Path), "--plots", plots,
                                   "--output", Path.Combine(temp.Path, "model.zip"));
        Assert.That(code, Is.EqualTo(0), error);
        Assert.That(Directory.GetFiles(plots).Select(Path.GetFileName), Is.EqualTo(new[] { "confusion.png" }));
        PngAssert.IsPlot(Path.Combine(plots, "confusion.png"));
    }

    [Test]
    public void PlotsPathThatIsAFileFailsBeforeTraining()
    {
        using var temp = TestModels.TempDir();
        string file = Path.Combine(temp.Path, "plots.txt"), output = Path.Combine(temp.Path, "model.zip");
        File.WriteAllText(file, "not a directory");
        var (code, _, error) = Run("train", "--task", "binary", "--approach", "baseline", "--train", SmallTsv(temp.Path), "--plots", file, "--output", output);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(error, Does.StartWith("error: --plots").And.Contain("takes a directory"));
        Assert.That(File.Exists(output), Is.False);
    }

    [Test]
    public void HelpListsThePlotsOption() =>
        Assert.That(Run("train", "--help").Out, Does.Contain("[--plots DIR]").And.Contain("confusion-<task>.png"));
}
