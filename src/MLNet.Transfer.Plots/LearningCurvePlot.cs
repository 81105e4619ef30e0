using System.Globalization;
using ScottPlot;

namespace MLNet.Transfer.Plots;

/// <summary>Learning curves: a metric against training-set size (or any x), one line per approach with a ±std band.</summary>
public static class LearningCurvePlot
{
    private const int Width = 900, Height = 540, MaxDataTicks = 12;

    /// <summary>
    /// Writes a PNG with one line (with markers) per series and a shaded ±std band around it (error bars when a series
    /// has a single point). With <paramref name="logX"/> the x axis is log2, labelled with the original x values.
    /// The file is written atomically.
    /// </summary>
    /// <param name="path">The PNG to write (its folder is created).</param>
    /// <param name="title">Plot title.</param>
    /// <param name="xLabel">X axis label.</param>
    /// <param name="yLabel">Y axis label.</param>
    /// <param name="series">The lines; at least one, each with at least one finite mean.</param>
    /// <param name="logX">Log2 x axis (default); every X must then be &gt; 0.</param>
    /// <exception cref="ArgumentException">No series, a series without points or without a finite mean, X not finite (or ≤ 0 on a log axis), or a negative std.</exception>
    public static void Save(string path, string title, string xLabel, string yLabel, IReadOnlyList<CurveSeries> series, bool logX = true)
    {
        ArgumentNullException.ThrowIfNull(series);
        if (series.Count == 0) throw new ArgumentException("Nothing to plot: the list of series is empty.", nameof(series));
        var lines = series.Select((s, i) => Validate(s, i, logX)).ToArray();

        using var plot = new Plot();
        PlotFont.Apply(plot);
        var palette = new ScottPlot.Palettes.Category10();
        for (int i = 0; i < lines.Length; i++)
        {
            var (name, points) = lines[i];
            var color = palette.GetColor(i);
            double[] xs = points.Select(p => logX ? Math.Log2(p.X) : p.X).ToArray();
            double[] means = points.Select(p => p.Mean).ToArray();
            double[] stds = points.Select(p => double.IsFinite(p.Std) ? p.Std : 0).ToArray();
            if (stds.Any(s => s > 0))
            {
                if (points.Length > 1)
                {
                    var band = plot.Add.FillY(xs, means.Zip(stds, (m, s) => m - s).ToArray(), means.Zip(stds, (m, s) => m + s).ToArray());
                    band.FillColor = color.WithAlpha(0.2);
                    band.LineWidth = 0;
                }
                else
                {
                    var bars = plot.Add.ErrorBar(xs, means, stds);
                    bars.Color = color;
                }
            }
            var line = plot.Add.Scatter(xs, means, color);
            line.LegendText = name;
            line.LineWidth = 2;
            line.MarkerSize = 7;
        }

        if (logX) plot.Axes.Bottom.TickGenerator = Log2Ticks(lines.SelectMany(l => l.Points).Select(p => p.X));
        plot.Title(title);
        plot.XLabel(logX ? $"{xLabel} (log2 scale)" : xLabel);
        plot.YLabel(yLabel);
        plot.ShowLegend(Edge.Right);
        PngFile.Save(path, plot, Width, Height);
    }

    private static (string Name, CurvePoint[] Points) Validate(CurveSeries? s, int index, bool logX)
    {
        if (s is null) throw new ArgumentException($"Series {index} is null.", "series");
        string name = string.IsNullOrWhiteSpace(s.Name) ? $"series {index}" : s.Name;
        if (s.Points is null || s.Points.Count == 0) throw new ArgumentException($"Series '{name}' has no points.", "series");
        foreach (var p in s.Points)
        {
            if (p is null) throw new ArgumentException($"Series '{name}' contains a null point.", "series");
            if (!double.IsFinite(p.X)) throw new ArgumentException($"Series '{name}' has a point with X = {p.X}; X must be finite.", "series");
            if (logX && p.X <= 0)
                throw new ArgumentException($"Series '{name}' has a point with X = {p.X.ToString(CultureInfo.InvariantCulture)}; a log2 x axis needs X > 0 (pass logX: false).", "series");
            if (p.Std < 0) throw new ArgumentException($"Series '{name}' has a negative Std ({p.Std.ToString(CultureInfo.InvariantCulture)}) at X = {p.X.ToString(CultureInfo.InvariantCulture)}.", "series");
        }
        var finite = s.Points.Where(p => double.IsFinite(p.Mean)).OrderBy(p => p.X).ToArray();
        if (finite.Length == 0) throw new ArgumentException($"Series '{name}' has no finite Mean (every value is NaN or infinite).", "series");
        return (name, finite);
    }

    /// <summary>Ticks on a log2 axis: at the data's own x values when there are few, else at powers of two.</summary>
    private static ScottPlot.TickGenerators.NumericManual Log2Ticks(IEnumerable<double> xValues)
    {
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        var distinct = xValues.Distinct().Order().ToArray();
        if (distinct.Length <= MaxDataTicks)
        {
            foreach (double x in distinct) ticks.AddMajor(Math.Log2(x), Format(x));
            return ticks;
        }
        int low = (int)Math.Floor(Math.Log2(distinct[0])), high = (int)Math.Ceiling(Math.Log2(distinct[^1]));
        int step = Math.Max(1, (int)Math.Ceiling((high - low + 1) / (double)MaxDataTicks));
        for (int k = low; k <= high; k += step) ticks.AddMajor(k, Format(Math.Pow(2, k)));
        return ticks;
    }

    private static string Format(double x) => x.ToString("G6", CultureInfo.InvariantCulture);
}
