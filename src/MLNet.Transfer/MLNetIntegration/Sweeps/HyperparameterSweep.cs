using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.ML;

namespace MLNet.Transfer.MLNetIntegration;

/// <summary>One evaluated configuration of a sweep.</summary>
/// <typeparam name="TOptions">The options type swept.</typeparam>
/// <param name="Options">The configured options.</param>
/// <param name="Values">Parameter name → value, in axis order.</param>
/// <param name="Score">Validation metric (higher is better).</param>
/// <param name="Model">The model trained with these options.</param>
/// <param name="Duration">Training plus scoring time.</param>
public sealed record SweepTrial<TOptions>(TOptions Options, IReadOnlyList<KeyValuePair<string, object>> Values, double Score, ITransformer Model, TimeSpan Duration)
{
    /// <summary>"name=value, ..." for tables and logs.</summary>
    public string Describe() => string.Join(", ", Values.Select(v => $"{v.Key}={Format(v.Value)}"));

    internal static string Format(object value) => value switch
    {
        double d => d.ToString("G4", CultureInfo.InvariantCulture),
        float f => f.ToString("G4", CultureInfo.InvariantCulture),
        int[] a => "[" + string.Join(",", a) + "]",
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };
}

/// <summary>
/// Grid and random search over an Options class: every configuration builds a pipeline, is trained on the training data
/// and scored on validation data (or use <see cref="RunCrossValidated{TOptions}"/>), and the trials come back ranked
/// best first, each with its model. Small and explicit on purpose, for machines without Microsoft.ML.AutoML; where AutoML
/// is available, wrap the same pipeline factory in a SweepableEstimator whose search space has one Choice per
/// <see cref="SweepParameter{TOptions}"/>.
/// </summary>
public static class HyperparameterSweep
{
    /// <summary>Every combination of the axes' values (the last axis varies fastest).</summary>
    public static List<(TOptions Options, List<KeyValuePair<string, object>> Values)> Grid<TOptions>(Func<TOptions> create, params SweepParameter<TOptions>[] axes)
    {
        var result = new List<(TOptions, List<KeyValuePair<string, object>>)>();
        void Expand(int axis, List<KeyValuePair<string, object>> chosen)
        {
            if (axis == axes.Length)
            {
                var options = create();
                for (int i = 0; i < axes.Length; i++) axes[i].Apply(options, chosen[i].Value);
                result.Add((options, [.. chosen]));
                return;
            }
            foreach (var value in axes[axis].Values)
            {
                chosen.Add(new(axes[axis].Name, value));
                Expand(axis + 1, chosen);
                chosen.RemoveAt(chosen.Count - 1);
            }
        }
        Expand(0, []);
        return result;
    }

    /// <summary><paramref name="count"/> distinct configurations drawn uniformly from the grid with <paramref name="seed"/> (all of it when smaller).</summary>
    public static List<(TOptions Options, List<KeyValuePair<string, object>> Values)> Random<TOptions>(Func<TOptions> create, int count, int seed, params SweepParameter<TOptions>[] axes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var grid = Grid(create, axes).ToArray();
        new Random(seed).Shuffle(grid);
        return grid.Take(count).ToList();
    }

    /// <summary>Trains every configuration on <paramref name="train"/>, scores it on <paramref name="validation"/>, and ranks the trials best first.</summary>
    /// <param name="configurations">From <see cref="Grid{TOptions}"/> or <see cref="Random{TOptions}"/>.</param>
    /// <param name="pipeline">Builds the estimator for one options object.</param>
    /// <param name="train">Training data.</param>
    /// <param name="validation">Validation data.</param>
    /// <param name="metric">Metric of the scored validation data, higher is better (e.g. accuracy from ML.NET's evaluator).</param>
    /// <param name="log">Optional: one line per trial.</param>
    public static List<SweepTrial<TOptions>> Run<TOptions>(IEnumerable<(TOptions Options, List<KeyValuePair<string, object>> Values)> configurations,
        Func<TOptions, IEstimator<ITransformer>> pipeline, IDataView train, IDataView validation, Func<IDataView, double> metric, IProgress<string>? log = null)
    {
        var trials = new List<SweepTrial<TOptions>>();
        foreach (var (options, values) in configurations)
        {
            var clock = Stopwatch.StartNew();
            var model = pipeline(options).Fit(train);
            double score = metric(model.Transform(validation));
            var trial = new SweepTrial<TOptions>(options, values, score, model, clock.Elapsed);
            trials.Add(trial);
            log?.Report($"{trial.Describe()}: {score:F4} ({clock.Elapsed.TotalSeconds:F0} s)");
        }
        if (trials.Count == 0) throw new ArgumentException("The sweep has no configurations.", nameof(configurations));
        return [.. trials.OrderByDescending(t => t.Score)];
    }

    /// <summary>
    /// Like <see cref="Run{TOptions}"/> but scores each configuration by the mean metric of ML.NET-style k-fold cross-validation
    /// (<paramref name="crossValidate"/> runs the folds over the data, e.g. by wrapping <c>mlContext.BinaryClassification.CrossValidate</c>);
    /// the returned model of a trial is the one of its first fold.
    /// </summary>
    public static List<SweepTrial<TOptions>> RunCrossValidated<TOptions>(IEnumerable<(TOptions Options, List<KeyValuePair<string, object>> Values)> configurations,
        Func<TOptions, IEstimator<ITransformer>> pipeline, Func<IEstimator<ITransformer>, IReadOnlyList<(double Score, ITransformer Model)>> crossValidate,
        IProgress<string>? log = null)
    {
        var trials = new List<SweepTrial<TOptions>>();
        foreach (var (options, values) in configurations)
        {
            var clock = Stopwatch.StartNew();
            var folds = crossValidate(pipeline(options));
            var trial = new SweepTrial<TOptions>(options, values, folds.Average(f => f.Score), folds[0].Model, clock.Elapsed);
            trials.Add(trial);
            log?.Report($"{trial.Describe()}: {trial.Score:F4} ({clock.Elapsed.TotalSeconds:F0} s)");
        }
        if (trials.Count == 0) throw new ArgumentException("The sweep has no configurations.", nameof(configurations));
        return [.. trials.OrderByDescending(t => t.Score)];
    }

    /// <summary>A ranked markdown table: rank, each parameter, score, seconds.</summary>
    public static string ToMarkdown<TOptions>(IReadOnlyList<SweepTrial<TOptions>> trials)
    {
        var names = trials[0].Values.Select(v => v.Key).ToArray();
        var text = new StringBuilder();
        text.AppendLine($"| rank | {string.Join(" | ", names)} | score | seconds |");
        text.AppendLine($"|---|{string.Concat(names.Select(_ => "---|"))}---:|---:|");
        for (int i = 0; i < trials.Count; i++)
        {
            var t = trials[i];
            var cells = t.Values.Select(v => SweepTrial<TOptions>.Format(v.Value));
            text.AppendLine($"| {i + 1} | {string.Join(" | ", cells)} | {t.Score.ToString("F4", CultureInfo.InvariantCulture)} | {t.Duration.TotalSeconds:F0} |");
        }
        return text.ToString();
    }
}
