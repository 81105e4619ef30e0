using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transfer.Plots;
using MLNet.Transfer.Training;

namespace MLNet.Transfer.Cli;

/// <summary><c>train --plots DIR</c>: the fine-tuning history as DIR/training.png and validation confusion matrices as PNGs.</summary>
public static class PlotOutput
{
    /// <summary>Class names of ML.NET's binary confusion matrix, which puts the positive class first.</summary>
    public static readonly IReadOnlyList<string> BinaryClassNames = ["positive (1)", "negative (0)"];

    /// <summary>The declaration of train's --plots.</summary>
    public static CliOption Option { get; } = CliOption.Value("plots", "DIR",
        "Write PNGs to DIR: training.png (finetune and multitask: training loss per step and the validation metrics of each "
        + "evaluation) and confusion.png (binary/multiclass: the validation confusion matrix from ML.NET's evaluator; "
        + "confusion-<task>.png per classification task with multitask).");

    /// <summary>The --plots directory, or null; fails before any training when the path is an existing file.</summary>
    public static string? OutputDirectory(CliArguments args)
    {
        string? dir = args.Optional("plots");
        if (dir is not null && File.Exists(dir)) throw new CliException($"--plots {dir}: this is a file; --plots takes a directory (created if missing).");
        return dir;
    }

    /// <summary>A progress sink that forwards every report to <paramref name="inner"/> and keeps it in <paramref name="history"/>.</summary>
    public static IProgress<TrainingProgress> Recording(IProgress<TrainingProgress> inner, List<TrainingProgress> history) =>
        new RecordingProgress(inner, history);

    /// <summary>Writes <paramref name="dir"/>/training.png when the run reported any progress.</summary>
    public static void WriteTraining(string dir, IReadOnlyList<TrainingProgress> history, string title)
    {
        if (history.Count == 0) return;
        string path = Path.Combine(dir, "training.png");
        TrainingPlot.Save(path, history, title);
        Console.WriteLine($"Wrote {path}");
    }

    /// <summary>Writes a confusion matrix as <paramref name="dir"/>/<paramref name="fileName"/> (nothing for regression).</summary>
    public static void WriteConfusion(string dir, string fileName, ConfusionMatrix? matrix, IReadOnlyList<string> classNames, string title)
    {
        if (matrix is null) return;
        string path = Path.Combine(dir, fileName);
        ConfusionMatrixPlot.Save(path, matrix, classNames, title);
        Console.WriteLine($"Wrote {path}");
    }

    /// <summary>
    /// Class names in the order of ML.NET's confusion matrix: positive first for binary; for multiclass the key values of the
    /// scored data's Label column (the pipeline's key order), else <paramref name="labels"/>, else "class i".
    /// </summary>
    public static IReadOnlyList<string> ClassNames(string task, ConfusionMatrix matrix, IDataView scored, IReadOnlyList<string>? labels)
    {
        if (task == "binary") return BinaryClassNames;
        int n = matrix.NumberOfClasses;
        if (scored.Schema.GetColumnOrNull("Label") is { } label && KeyColumns.Names(label) is { } keys && keys.Length == n) return keys;
        if (labels is not null && labels.Count == n) return labels;
        return Enumerable.Range(0, n).Select(i => $"class {i}").ToArray();
    }

    /// <summary>A file name for a task (task names contain no '.', but may contain characters a file name cannot).</summary>
    public static string ConfusionFileName(string taskName) =>
        $"confusion-{string.Concat(taskName.Select(c => Path.GetInvalidFileNameChars().Contains(c) ? '_' : c))}.png";

    private sealed class RecordingProgress(IProgress<TrainingProgress> inner, List<TrainingProgress> history) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value)
        {
            history.Add(value);
            inner.Report(value);
        }
    }
}
