using MLNet.Transfer.Models.Heads;
using MLNet.Transfer.Training.Tagging;

namespace MLNet.Transfer.Training;

/// <summary>
/// Quick metrics computed inside the training loop for early stopping and progress (the ML.NET layer reports
/// the official ones with ML.NET's evaluators). Higher is better for the primary metric of every kind.
/// </summary>
public static class ValidationMetrics
{
    /// <summary>
    /// Per task: "&lt;task&gt;.accuracy" (binary, multiclass, multi-label element-wise), "&lt;task&gt;.r2" (regression) or
    /// "&lt;task&gt;.f1" (tagging: entity F1 of the windows stitched back to sentences, plus "&lt;task&gt;.token_accuracy"),
    /// and "score", the mean of those primary metrics over tasks, or the metric of <paramref name="scoreTask"/> when given.
    /// Tagging outputs are the predicted tag indices of each window's owned words.
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
            if (task.Kind == TaskKind.Tagging)
            {
                var m = TaggingMetrics(task, rows.Select(r => (examples[r].Sentence, examples[r].Window!.FirstWord, examples[r].Targets[t]!, outputs[t][r])));
                metrics[$"{task.Name}.token_accuracy"] = m.TokenAccuracy;
                value = m.F1Score;
                name = "f1";
            }
            else if (task.Kind == TaskKind.Regression)
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

    /// <summary>Entity-level scores of a tagging task: each sentence's windows stitched back in word order, gold and predicted.</summary>
    private static TokenClassificationMetrics TaggingMetrics(TaskSpec task, IEnumerable<(int Sentence, int FirstWord, float[] Gold, float[] Predicted)> windows)
    {
        var tags = task.Tagging!.Tags;
        var gold = new List<IReadOnlyList<string>>();
        var predicted = new List<IReadOnlyList<string>>();
        foreach (var sentence in windows.GroupBy(w => w.Sentence))
        {
            var ordered = sentence.OrderBy(w => w.FirstWord).ToArray();
            gold.Add(ordered.SelectMany(w => w.Gold).Select(i => tags[(int)i]).ToArray());
            predicted.Add(ordered.SelectMany(w => w.Predicted).Select(i => tags[(int)i]).ToArray());
        }
        return TokenClassificationMetrics.Compute(gold, predicted);
    }

    private static double Correct(TaskSpec task, float[] output, float[] target) => task.Kind switch
    {
        TaskKind.Binary => (output[0] > 0) == (target[0] > 0.5f) ? 1 : 0,
        TaskKind.Multiclass => Array.IndexOf(output, output.Max()) == (int)target[0] ? 1 : 0,
        _ => output.Zip(target).Average(p => (p.First > 0) == (p.Second > 0.5f) ? 1.0 : 0.0),
    };
}
