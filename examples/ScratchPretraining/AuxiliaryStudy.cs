using System.Diagnostics;
using MLNet.Transfer;

/// <summary>
/// The OpenAI transformer's fine-tuning recipe on a causal LM: accuracy of every (auxiliary weight, pooling) arm over the
/// same seeds (each seed draws one labelled sample that every arm trains on), with paired differences to the first arm.
/// </summary>
static class AuxiliaryStudy
{
    /// <summary>Runs every arm for every seed and returns the markdown table (also printed).</summary>
    public static string Run(string model, double[] weights, PoolingMode[] poolings, int seeds, string data, int epochs,
                             Func<double, PoolingMode, int, double> accuracy)
    {
        var arms = poolings.SelectMany(p => weights.Select(w => (Weight: w, Pooling: p))).ToArray();
        var results = arms.Select(_ => new List<double>()).ToArray();
        var clock = Stopwatch.StartNew();
        for (int seed = 1; seed <= seeds; seed++)
        {
            for (int a = 0; a < arms.Length; a++) results[a].Add(accuracy(arms[a].Weight, arms[a].Pooling, seed));
            Console.WriteLine($"  seed {seed}: " + string.Join(", ", arms.Select((arm, a) => $"{Name(arm)} {results[a][^1]:P1}")) + $"  [{clock.Elapsed:hh\\:mm\\:ss}]");
        }
        var lines = new List<string>
        {
            $"{model}, fine-tuned on {data}, {epochs} epochs, {seeds} seeds (the same sample per seed in every arm); accuracy mean ± std, " +
            $"and the paired difference to the first arm (mean ± std of the per-seed differences, points; wins = seeds where the arm is better):",
            "",
            "| pooling | auxiliary LM weight λ | accuracy | Δ vs first arm | wins | per seed |",
            "|---|---:|---:|---:|---:|---|",
        };
        for (int a = 0; a < arms.Length; a++)
        {
            var diffs = results[a].Zip(results[0], (x, y) => (x - y) * 100).ToArray();
            string delta = a == 0 ? "—" : $"{diffs.Average():+0.0;-0.0} ± {Std(diffs):F1}";
            string wins = a == 0 ? "—" : $"{diffs.Count(d => d > 0)}/{diffs.Length}";
            lines.Add($"| {arms[a].Pooling.ToString().ToLowerInvariant()} | {arms[a].Weight:0.##} | {results[a].Average():P1} ± {Std(results[a].Select(r => r * 100).ToArray()):F1} | " +
                      $"{delta} | {wins} | {string.Join(" / ", results[a].Select(r => $"{r * 100:F1}"))} |");
        }
        lines.Add($"\n{clock.Elapsed.TotalMinutes:F0} min for {arms.Length * seeds} fine-tuning runs.");
        string table = string.Join('\n', lines);
        Console.WriteLine($"\n{table}");
        return table;
    }

    private static string Name((double Weight, PoolingMode Pooling) arm) => $"{arm.Pooling.ToString().ToLowerInvariant()}/λ={arm.Weight:0.##}";

    private static double Std(double[] values)
    {
        double mean = values.Average();
        return Math.Sqrt(values.Average(v => (v - mean) * (v - mean)));
    }
}
