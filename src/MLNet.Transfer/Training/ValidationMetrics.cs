using MLNet.Transfer.Models.Heads;

namespace MLNet.Transfer.Training;

/// <summary>
/// Quick metrics computed inside the training loop for early stopping and progress (the ML.NET layer reports
/// the official ones with ML.NET's evaluators). Higher is better for the primary metric of every kind.
/// </summary>
public static class ValidationMetrics
{
    /// <summary>
    /// Per task: "&lt;task&gt;.accuracy" (binary, multiclass, multi-label element-wise) or "&lt;task&gt;.r2" (regression),
    /// and "score", the mean of those primary metrics over tasks, or the metric of <paramref name="scoreTask"/> when given.
    /// </summary>
    public static Dictionary<string, double> Compute(IReadOnlyList<TaskSpec> tasks, float[][][] outputs, IReadOnlyList<TrainingExample> examples,
                                                     string? scoreTask = null)
    {
        var metrics = new Dictionary<string, double>();
        double total = 0;
        int counted = 0;
        for (int t = 0; t < tasks.Count; t++)
        {
            var rows = Enumerable.Range(0, examples.Count).Where(r => examples[r].Targets[t] is not null).ToArray();
            if (rows.Length == 0) continue;
            var task = tasks[t];
            double value;
            string name;
            if (task.Kind == TaskKind.Regression)
            {
                double mean = rows.Average(r => examples[r].Targets[t]![0]);
                double residual = rows.Sum(r => Math.Pow(examples[r].Targets[t]![0] - outputs[t][r][0], 2));
                double variance = rows.Sum(r => Math.Pow(examples[r].Targets[t]![0] - mean, 2));
                value = variance > 0 ? 1 - residual / variance : 0;
                name = "r2";
            }
            else
            {
                value = rows.Average(r => Correct(task, outputs[t][r], examples[r].Targets[t]!));
                name = "accuracy";
            }
            metrics[$"{task.Name}.{name}"] = value;
            if (scoreTask is not null && scoreTask != task.Name) continue;
            total += value;
            counted++;
        }
        metrics["score"] = counted > 0 ? total / counted : 0;
        return metrics;
    }

    private static double Correct(TaskSpec task, float[] output, float[] target) => task.Kind switch
    {
        TaskKind.Binary => (output[0] > 0) == (target[0] > 0.5f) ? 1 : 0,
        TaskKind.Multiclass => Array.IndexOf(output, output.Max()) == (int)target[0] ? 1 : 0,
        _ => output.Zip(target).Average(p => (p.First > 0) == (p.Second > 0.5f) ? 1.0 : 0.0),
    };
}
