using MLNet.Transfer.Checkpoints;
using ScottPlot;
using SkiaSharp;

namespace MLNet.Transfer.Plots;

/// <summary>Renders plots to PNG and writes them atomically (temp file beside the target, then a rename).</summary>
internal static class PngFile
{
    /// <summary>Writes one plot as a <paramref name="width"/> × <paramref name="height"/> PNG.</summary>
    public static void Save(string path, Plot plot, int width, int height)
    {
        CheckPath(path);
        byte[] png = plot.GetImageBytes(width, height, ImageFormat.Png);
        AtomicFile.Write(path, stream => stream.Write(png));
    }

    /// <summary>Writes plots stacked vertically, each <paramref name="panelHeight"/> pixels high, as one PNG.</summary>
    public static void SaveStacked(string path, IReadOnlyList<Plot> plots, int width, int panelHeight)
    {
        CheckPath(path);
        using var surface = SKSurface.Create(new SKImageInfo(width, panelHeight * plots.Count))
            ?? throw new InvalidOperationException($"SkiaSharp could not create a {width}x{panelHeight * plots.Count} drawing surface.");
        surface.Canvas.Clear(SKColors.White);
        for (int i = 0; i < plots.Count; i++)
        {
            // Each panel is rendered on its own: a plot paints its background over the whole canvas it is given.
            using var panel = SKBitmap.Decode(plots[i].GetImageBytes(width, panelHeight, ImageFormat.Png));
            surface.Canvas.DrawBitmap(panel, 0, i * panelHeight);
        }
        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Png, 100)
            ?? throw new InvalidOperationException("SkiaSharp could not encode the plot as PNG.");
        AtomicFile.Write(path, stream => data.SaveTo(stream));
    }

    private static void CheckPath(string path)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new ArgumentException("The output path is empty.", nameof(path));
    }
}
