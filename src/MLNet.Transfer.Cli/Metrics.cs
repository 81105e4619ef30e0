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
