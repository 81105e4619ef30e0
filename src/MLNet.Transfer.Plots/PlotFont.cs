using ScottPlot;
using SkiaSharp;

namespace MLNet.Transfer.Plots;

/// <summary>
/// The one font every plot uses: DejaVu Sans, embedded in this assembly, so text renders the same on every machine,
/// including ones without fontconfig or any system font (SkiaSharp's NoDependencies native library finds none there).
/// </summary>
internal static class PlotFont
{
    /// <summary>The family name plots ask ScottPlot for; only our resolver answers to it.</summary>
    public const string Name = "MLNet.Transfer.Plots DejaVu Sans";

    private static readonly Lazy<SKData> FontData = new(LoadFontData);
    private static readonly object Gate = new();
    private static bool _registered;

    /// <summary>Sets every font of <paramref name="plot"/> (title, axis labels, ticks, legend) to the embedded font.</summary>
    public static void Apply(Plot plot)
    {
        Register();
        plot.Font.Set(Name);
        plot.Legend.FontName = Name;
    }

    /// <summary>Adds the embedded-font resolver to ScottPlot's global list, once.</summary>
    public static void Register()
    {
        lock (Gate)
        {
            if (_registered) return;
            Fonts.FontResolvers.Insert(0, new EmbeddedFontResolver());
            _registered = true;
        }
    }

    private static SKData LoadFontData()
    {
        using var stream = typeof(PlotFont).Assembly.GetManifestResourceStream("MLNet.Transfer.Plots.DejaVuSans.ttf")
            ?? throw new InvalidOperationException("The embedded font MLNet.Transfer.Plots.DejaVuSans.ttf is missing from the assembly.");
        return SKData.Create(stream);
    }

    /// <summary>Answers <see cref="Name"/> with a new typeface over the embedded font (ScottPlot caches and may dispose it).</summary>
    private sealed class EmbeddedFontResolver : IFontResolver
    {
        public SKTypeface? CreateTypeface(string fontName, bool bold, bool italic) =>
            fontName == Name ? SKTypeface.FromData(FontData.Value) : null;

        public SKTypeface? CreateTypeface(string fontName, FontWeight weight, FontSlant slant, FontSpacing width) =>
            fontName == Name ? SKTypeface.FromData(FontData.Value) : null;
    }
}
