using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.Transfer.Cli;

/// <summary>ML.NET's evaluators for a task, returned under ML.NET's own metric property names.</summary>
public static class Metrics
{
    /// <summary>
    /// Evaluates scored data: binary → Accuracy, AreaUnderRocCurve, F1Score; multiclass → MicroAccuracy, MacroAccuracy, LogLoss;
    /// regression → RSquared, RootMeanSquaredError. <paramref name="prefix"/> selects a multi-task head's columns ("irony." → "irony.Score").
    /// </summary>
    public static Dictionary<string, double> Evaluate(MLContext mlContext, string task, IDataView scored, string prefix = "") =>
        Evaluate(mlContext, task, scored, out _, prefix);

    /// <summary>As <see cref="Evaluate(MLContext, string, IDataView, string)"/>, also returning ML.NET's confusion matrix (null for regression).</summary>
    public static Dictionary<string, double> Evaluate(MLContext mlContext, string task, IDataView scored, out ConfusionMatrix? confusion, string prefix = "")
    {
        confusion = null;
        string score = prefix + "Score", predicted = prefix + "PredictedLabel";
        switch (task)
        {
            case "binary":
            {
                var m = mlContext.BinaryClassification.Evaluate(scored, "Label", score, prefix + "Probability", predicted);
                confusion = m.ConfusionMatrix;
                return new() { ["Accuracy"] = m.Accuracy, ["AreaUnderRocCurve"] = m.AreaUnderRocCurve, ["F1Score"] = m.F1Score };
            }
            case "multiclass":
            {
                var m = mlContext.MulticlassClassification.Evaluate(scored, "Label", score, predicted);
                confusion = m.ConfusionMatrix;
                return new() { ["MicroAccuracy"] = m.MicroAccuracy, ["MacroAccuracy"] = m.MacroAccuracy, ["LogLoss"] = m.LogLoss };
            }
            default:
            {
                var m = mlContext.Regression.Evaluate(scored, "Label", score);
                return new() { ["RSquared"] = m.RSquared, ["RootMeanSquaredError"] = m.RootMeanSquaredError };
            }
        }
    }

    /// <summary>The degenerate-result warning (<see cref="Training.DegenerateResult"/>) for a validation confusion matrix, or null.</summary>
    public static string? Degenerate(ConfusionMatrix? confusion, IReadOnlyList<string> classNames)
    {
        if (confusion is null) return null;
        var predicted = new List<int>();
        var actual = new List<int>();
        for (int truth = 0; truth < confusion.NumberOfClasses; truth++)
            for (int guess = 0; guess < confusion.NumberOfClasses; guess++)
                for (int k = 0; k < (int)confusion.Counts[truth][guess]; k++) { actual.Add(truth); predicted.Add(guess); }
        return Training.DegenerateResult.Check(predicted, actual, c => c < classNames.Count ? classNames[c] : c.ToString());
    }

    /// <summary>Prints metrics and warnings as one JSON object: the metric names as keys, plus "Warnings" (a list, empty when none).</summary>
    public static void PrintWithWarnings(Dictionary<string, double> metrics, params string?[] warnings)
    {
        var all = metrics.ToDictionary(kv => kv.Key, kv => (object?)(double.IsFinite(kv.Value) ? kv.Value : null));
        all["Warnings"] = warnings.OfType<string>().ToArray();
        Console.WriteLine(JsonSerializer.Serialize(all));
    }

    /// <summary>Prints metrics as aligned lines, or one JSON object with exactly the metric names as keys.</summary>
    public static void Print(Dictionary<string, double> metrics, bool json, string? title = null)
    {
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(metrics.ToDictionary(kv => kv.Key, kv => double.IsFinite(kv.Value) ? kv.Value : (double?)null)));
            return;
        }
        if (title is not null) Console.WriteLine(title);
        foreach (var (name, value) in metrics) Console.WriteLine($"  {name,-22} {value:F4}");
    }
}
