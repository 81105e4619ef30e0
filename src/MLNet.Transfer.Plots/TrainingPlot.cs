using MLNet.Transfer.Training;
using ScottPlot;

namespace MLNet.Transfer.Plots;

/// <summary>A training run at a glance: training loss per step above, every validation metric per evaluation below.</summary>
public static class TrainingPlot
{
    private const int Width = 900, PanelHeight = 380;

    /// <summary>
    /// Writes a PNG with two panels sharing the step axis: the training loss of every report, and each metric of
    /// <see cref="TrainingProgress.Validation"/> (reports where it is non-null are the evaluations) as a line with markers.
    /// A panel with nothing finite to show is left out. The file is written atomically.
    /// </summary>
    /// <param name="path">The PNG to write (its folder is created).</param>
    /// <param name="history">Every progress report of the run, in any order.</param>
    /// <param name="title">Title above the loss panel.</param>
    /// <exception cref="ArgumentException">An empty history, or one without a single finite loss or validation value.</exception>
    public static void Save(string path, IReadOnlyList<TrainingProgress> history, string title = "Training")
    {
        ArgumentNullException.ThrowIfNull(history);
        if (history.Count == 0) throw new ArgumentException("The training history is empty: there is nothing to plot.", nameof(history));
        if (history.Any(p => p is null)) throw new ArgumentException("The training history contains a null report.", nameof(history));

        var loss = history.Where(p => double.IsFinite(p.Loss)).GroupBy(p => p.Step).Select(g => (Step: (double)g.Key, g.Last().Loss))
            .OrderBy(p => p.Step).ToArray();
        var evaluations = history.Where(p => p.Validation is not null).OrderBy(p => p.Step).ToArray();
        var metrics = evaluations.SelectMany(p => p.Validation!.Keys).Distinct()
            .Select(name => (Name: name, Points: evaluations
                .Where(p => p.Validation!.TryGetValue(name, out double v) && double.IsFinite(v))
                .Select(p => (Step: (double)p.Step, Value: p.Validation![name])).ToArray()))
            .Where(m => m.Points.Length > 0).ToArray();
        if (loss.Length == 0 && metrics.Length == 0)
            throw new ArgumentException($"The training history ({history.Count} reports) has no finite training loss and no finite validation metric (all NaN).", nameof(history));

        double maxStep = Math.Max(1, history.Max(p => p.Step));
        var panels = new List<Plot>();
        try
        {
            if (loss.Length > 0)
            {
                var plot = NewPanel();
                var line = plot.Add.ScatterLine(loss.Select(p => p.Step).ToArray(), loss.Select(p => p.Loss).ToArray());
                line.LineWidth = 2;
                if (loss.Length == 1) line.MarkerSize = 7;
                plot.YLabel("training loss");
                FitAxes(plot, maxStep, loss.Select(p => p.Loss).ToArray());
                panels.Add(plot);
            }
            if (metrics.Length > 0)
            {
                var plot = NewPanel();
                var palette = new ScottPlot.Palettes.Category10();
                for (int i = 0; i < metrics.Length; i++)
                {
                    var line = plot.Add.Scatter(metrics[i].Points.Select(p => p.Step).ToArray(), metrics[i].Points.Select(p => p.Value).ToArray(), palette.GetColor(i + 1));
                    line.LegendText = metrics[i].Name;
                    line.LineWidth = 2;
                    // Metrics often coincide (a single task's accuracy and "score"): alternate patterns and marker sizes keep both visible.
                    line.LinePattern = i % 2 == 0 ? LinePattern.Solid : LinePattern.Dashed;
                    line.MarkerSize = i % 2 == 0 ? 9 : 6;
                }
                plot.YLabel("validation");
                plot.ShowLegend(Alignment.LowerRight);
                FitAxes(plot, maxStep, metrics.SelectMany(m => m.Points.Select(p => p.Value)).ToArray());
                panels.Add(plot);
            }
            panels[0].Title(title);
            panels[^1].XLabel("step");
            PngFile.SaveStacked(path, panels, Width, PanelHeight);
        }
        finally
        {
            foreach (var plot in panels) plot.Dispose();
        }
    }

    /// <summary>A panel with the embedded font and a fixed margin, so stacked panels line up.</summary>
    private static Plot NewPanel()
    {
        var plot = new Plot();
        PlotFont.Apply(plot);
        plot.Layout.Fixed(new PixelPadding(left: 80, right: 30, bottom: 55, top: 45));
        return plot;
    }

    /// <summary>Y fitted to the data, x from 0 to the last step in every panel.</summary>
    private static void FitAxes(Plot plot, double maxStep, IReadOnlyCollection<double> ys)
    {
        plot.Axes.AutoScale();
        double low = ys.Min(), high = ys.Max();
        if (high - low < 1e-9 * Math.Max(1, Math.Abs(high)))
        {
            // A flat line (e.g. accuracy 1 at every evaluation): a small band around it instead of ScottPlot's [0, 2 × value].
            double pad = 0.1 * Math.Max(1, Math.Abs(high));
            plot.Axes.SetLimitsY(high - pad, high + pad);
        }
        plot.Axes.SetLimitsX(0, maxStep * 1.02);
    }
}
