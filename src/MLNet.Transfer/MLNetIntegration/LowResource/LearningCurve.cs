using System.Globalization;
using System.Text;
using Microsoft.ML;

namespace MLNet.Transfer.MLNetIntegration;

/// <summary>One way of learning from a labelled sample, e.g. "fine-tune MiniLM" or "FeaturizeText + logistic regression".</summary>
/// <param name="Name">Shown in the table and plot.</param>
/// <param name="Train">Trains on the k-per-class sample (and the seed of this repetition) and returns the model.</param>
public sealed record LearningApproach(string Name, Func<IDataView, int, ITransformer> Train);

/// <summary>The test metric of one approach at one k, over the seeds.</summary>
/// <param name="Approach">Approach name.</param>
/// <param name="K">Labelled examples per class.</param>
/// <param name="Values">The metric per seed.</param>
public sealed record LearningCurvePoint(string Approach, int K, IReadOnlyList<double> Values)
{
    /// <summary>Mean over seeds.</summary>
    public double Mean => Values.Average();
    /// <summary>Sample standard deviation over seeds (0 for one seed).</summary>
    public double Std => Values.Count < 2 ? 0 : Math.Sqrt(Values.Sum(v => (v - Mean) * (v - Mean)) / (Values.Count - 1));
}

/// <summary>
/// Learning curves: every approach trained on k labelled examples per class (stratified, <see cref="FewShotSampling"/>)
/// for each k and seed, scored on the same test set. The samples are nested (k = 16 contains k = 8 for a seed) and
/// identical across approaches, so differences come from the approaches, not the draw.
/// </summary>
public static class LearningCurve
{
    /// <summary>Runs the grid and returns one point per (approach, k); <paramref name="log"/> receives one line per run.</summary>
    /// <param name="train">Pool to sample from.</param>
    /// <param name="test">Held-out data every model is scored on.</param>
    /// <param name="labelColumnName">Label column for stratification.</param>
    /// <param name="ks">Examples per class, e.g. 8, 16, 32, 64.</param>
    /// <param name="seeds">One repetition per seed.</param>
    /// <param name="approaches">What to compare.</param>
    /// <param name="metric">Metric of scored test data, higher is better (e.g. accuracy from ML.NET's evaluator).</param>
    /// <param name="log">Optional progress lines.</param>
    public static List<LearningCurvePoint> Run(IDataView train, IDataView test, string labelColumnName, IReadOnlyList<int> ks, IReadOnlyList<int> seeds,
                                               IReadOnlyList<LearningApproach> approaches, Func<IDataView, double> metric, IProgress<string>? log = null)
    {
        if (ks.Count == 0 || seeds.Count == 0 || approaches.Count == 0) throw new ArgumentException("Give at least one k, one seed and one approach.");
        var values = approaches.ToDictionary(a => a.Name, _ => ks.ToDictionary(k => k, _ => new List<double>()));
        foreach (int k in ks)
            foreach (int seed in seeds)
            {
                var sample = FewShotSampling.Sample(train, labelColumnName, k, seed);
                foreach (var approach in approaches)
                {
                    var clock = System.Diagnostics.Stopwatch.StartNew();
                    double value = metric(approach.Train(sample, seed).Transform(test));
                    values[approach.Name][k].Add(value);
                    log?.Report($"k={k} seed={seed} {approach.Name}: {value:F4} ({clock.Elapsed.TotalSeconds:F0} s)");
                }
            }
        return approaches.SelectMany(a => ks.Select(k => new LearningCurvePoint(a.Name, k, values[a.Name][k]))).ToList();
    }

    /// <summary>A markdown table: one row per k, one "mean ± std" column per approach (as percentages, or with 4 decimals).</summary>
    public static string ToMarkdown(IReadOnlyList<LearningCurvePoint> points, bool percent = true)
    {
        string Format(double v) => percent ? (v * 100).ToString("F1", CultureInfo.InvariantCulture) + "%" : v.ToString("F4", CultureInfo.InvariantCulture);
        var approaches = points.Select(p => p.Approach).Distinct().ToArray();
        var text = new StringBuilder();
        text.AppendLine($"| k per class | {string.Join(" | ", approaches)} |");
        text.AppendLine($"|---|{string.Concat(approaches.Select(_ => "---|"))}");
        foreach (var k in points.Select(p => p.K).Distinct().Order())
        {
            var cells = approaches.Select(a => points.Single(p => p.Approach == a && p.K == k))
                .Select(p => $"{Format(p.Mean)} ± {Format(p.Std)}");
            text.AppendLine($"| {k} | {string.Join(" | ", cells)} |");
        }
        return text.ToString();
    }
}
