using ScottPlot;

namespace MLNet.Transfer.Plots;

/// <summary>
/// An attention-like matrix over one text's tokens as a heatmap — row i is token i's weights over the tokens j (e.g. a
/// GLoMo-style graph row G_i·, or an attention row) — with the tokens as tick labels on both axes and a colour bar.
/// </summary>
public static class AttentionHeatmapPlot
{
    private const int MaxLabelLength = 16;

    /// <summary>Writes the PNG atomically.</summary>
    /// <param name="path">The PNG to write (its folder is created).</param>
    /// <param name="tokens">One label per row and column.</param>
    /// <param name="weights">[tokens, tokens] values; row = the token that aggregates, column = the token it weighs.</param>
    /// <param name="title">Plot title.</param>
    /// <exception cref="ArgumentException">The matrix is not square with one row per token, or a value is NaN or infinite.</exception>
    public static void Save(string path, IReadOnlyList<string> tokens, float[,] weights, string title = "Graph")
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(weights);
        int n = tokens.Count;
        if (n == 0 || weights.GetLength(0) != n || weights.GetLength(1) != n)
            throw new ArgumentException($"weights is {weights.GetLength(0)}×{weights.GetLength(1)} but there are {n} tokens: it must be square, one row per token.", nameof(weights));
        var values = new double[n, n];
        for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
        {
            if (!float.IsFinite(weights[i, j])) throw new ArgumentException($"weights[{i}, {j}] is {weights[i, j]}.", nameof(weights));
            values[i, j] = weights[i, j];
        }

        int cell = Math.Clamp(720 / n, 14, 60);
        using var plot = new Plot();
        PlotFont.Apply(plot);
        var heatmap = plot.Add.Heatmap(values); // row 0 at the top: cell (i, j) centred on x = j, y = n − 1 − i
        heatmap.Colormap = new ScottPlot.Colormaps.Viridis();
        heatmap.ManualRange = new ScottPlot.Range(0, Math.Max(values.Cast<double>().Max(), 1e-9));
        plot.Add.ColorBar(heatmap).Label = "weight";

        string[] labels = tokens.Select(t => t.Length > MaxLabelLength ? t[..(MaxLabelLength - 1)] + "…" : t).ToArray();
        int longest = labels.Max(t => t.Length);
        float tickFont = plot.Axes.Bottom.TickLabelStyle.FontSize;
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(Enumerable.Range(0, n).Select(j => (double)j).ToArray(), labels);
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(Enumerable.Range(0, n).Select(i => (double)(n - 1 - i)).ToArray(), labels);
        plot.Axes.Bottom.TickLabelStyle.Rotation = 90;
        plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleLeft;
        int labelSpace = (int)(longest * tickFont * 0.6f) + 20;
        plot.Axes.Bottom.MinimumSize = labelSpace + 30;
        plot.Axes.SetLimits(-0.5, n - 0.5, -0.5, n - 0.5);
        plot.HideGrid();
        plot.Title(title);
        plot.XLabel("token j (weighed)");
        plot.YLabel("token i (aggregating)");
        PngFile.Save(path, plot, 60 + labelSpace + n * cell + 150, n * cell + 150 + labelSpace);
    }
}
