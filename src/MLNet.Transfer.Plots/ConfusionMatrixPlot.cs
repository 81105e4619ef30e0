using System.Globalization;
using Microsoft.ML.Data;
using ScottPlot;

namespace MLNet.Transfer.Plots;

/// <summary>An ML.NET confusion matrix as a heatmap: true class per row, predicted class per column, counts in the cells.</summary>
public static class ConfusionMatrixPlot
{
    private const int MaxLabelLength = 30;

    /// <summary>
    /// Writes a PNG heatmap of <paramref name="matrix"/> (ML.NET's layout: row = true class, column = predicted class)
    /// with each cell's count written in it and a colour bar. The file is written atomically.
    /// </summary>
    /// <param name="path">The PNG to write (its folder is created).</param>
    /// <param name="matrix">From <c>BinaryClassificationMetrics.ConfusionMatrix</c> or <c>MulticlassClassificationMetrics.ConfusionMatrix</c>.</param>
    /// <param name="classNames">
    /// One name per class, in the matrix's class order: for binary ML.NET puts the positive class first
    /// (e.g. <c>["positive", "negative"]</c>); for multiclass it is the label key order.
    /// </param>
    /// <param name="title">Plot title.</param>
    /// <exception cref="ArgumentException">The number of names differs from the number of classes, or a count is NaN or infinite.</exception>
    public static void Save(string path, ConfusionMatrix matrix, IReadOnlyList<string> classNames, string title = "Confusion matrix")
    {
        ArgumentNullException.ThrowIfNull(matrix);
        ArgumentNullException.ThrowIfNull(classNames);
        int n = matrix.NumberOfClasses;
        if (classNames.Count != n)
            throw new ArgumentException($"classNames has {classNames.Count} names but the confusion matrix has {n} classes.", nameof(classNames));
        if (classNames.Any(c => c is null)) throw new ArgumentException("classNames contains a null name.", nameof(classNames));
        var counts = new double[n, n];
        for (int t = 0; t < n; t++)
        for (int p = 0; p < n; p++)
        {
            double count = matrix.Counts[t][p];
            if (!double.IsFinite(count))
                throw new ArgumentException($"The confusion matrix has a non-finite count ({count}) for true class '{classNames[t]}', predicted '{classNames[p]}'.", nameof(matrix));
            counts[t, p] = count;
        }

        int cell = Math.Clamp(640 / n, 24, 90);
        float fontSize = Math.Clamp(cell * 0.28f, 8, 18);
        using var plot = new Plot();
        PlotFont.Apply(plot);
        var heatmap = plot.Add.Heatmap(counts);
        // ScottPlot draws row 0 at the top with cell (row t, column p) centred on x = p, y = n - 1 - t.
        var colormap = new ScottPlot.Colormaps.Blues().Reversed();
        heatmap.Colormap = colormap;
        double max = Math.Max(counts.Cast<double>().Max(), 1);
        heatmap.ManualRange = new ScottPlot.Range(0, max);
        for (int t = 0; t < n; t++)
        for (int p = 0; p < n; p++)
        {
            var text = plot.Add.Text(counts[t, p].ToString("G6", CultureInfo.InvariantCulture), p, n - 1 - t);
            text.LabelFontName = PlotFont.Name;
            text.LabelFontSize = fontSize;
            text.LabelFontColor = IsDark(colormap.GetColor(Math.Clamp(counts[t, p] / max, 0, 1))) ? Colors.White : Colors.Black;
            text.LabelAlignment = Alignment.MiddleCenter;
        }
        var colorBar = plot.Add.ColorBar(heatmap);
        colorBar.Label = "count";
        colorBar.Axis.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };

        string[] labels = classNames.Select(c => c.Length > MaxLabelLength ? c[..(MaxLabelLength - 1)] + "…" : c).ToArray();
        int longest = labels.Max(c => c.Length);
        float tickFont = plot.Axes.Bottom.TickLabelStyle.FontSize;
        bool rotate = longest * tickFont * 0.55f > cell;
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(Enumerable.Range(0, n).Select(p => (double)p).ToArray(), labels);
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(Enumerable.Range(0, n).Select(t => (double)(n - 1 - t)).ToArray(), labels);
        int rotatedHeight = rotate ? (int)(longest * tickFont * 0.6f * 0.71f) : 0;
        if (rotate)
        {
            plot.Axes.Bottom.TickLabelStyle.Rotation = 45;
            plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleLeft;
            plot.Axes.Bottom.MinimumSize = rotatedHeight + 50;
        }
        plot.Axes.SetLimits(-0.5, n - 0.5, -0.5, n - 0.5);
        plot.HideGrid();
        plot.Title(title);
        plot.XLabel("predicted");
        plot.YLabel("true");

        int left = 60 + (int)(longest * tickFont * 0.6f);
        PngFile.Save(path, plot, left + n * cell + 150, n * cell + 150 + rotatedHeight);
    }

    private static bool IsDark(Color c) => 0.299 * c.R + 0.587 * c.G + 0.114 * c.B < 140;
}
