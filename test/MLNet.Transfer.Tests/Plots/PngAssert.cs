using System.Buffers.Binary;
using SkiaSharp;

namespace MLNet.Transfer.Tests.Plots;

/// <summary>Checks that a file is a real, non-blank PNG.</summary>
internal static class PngAssert
{
    private static readonly byte[] Signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>
    /// Asserts the PNG signature and an IHDR chunk first, that SkiaSharp decodes the image to the IHDR size, and that it
    /// has more than <paramref name="minColours"/> distinct colours (not a flat or nearly empty image). Returns the size.
    /// </summary>
    public static (int Width, int Height) IsPlot(string path, int minColours = 10)
    {
        Assert.That(File.Exists(path), Is.True, $"{path} was not written");
        byte[] bytes = File.ReadAllBytes(path);
        Assert.That(bytes.Length, Is.GreaterThan(33), "too short for a PNG header");
        Assert.That(bytes[..8], Is.EqualTo(Signature), "PNG signature");
        Assert.That(System.Text.Encoding.ASCII.GetString(bytes, 12, 4), Is.EqualTo("IHDR"), "first chunk");
        int width = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16, 4)), height = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20, 4));

        using var bitmap = SKBitmap.Decode(bytes);
        Assert.That(bitmap, Is.Not.Null, "SkiaSharp could not decode the PNG");
        Assert.That((bitmap.Width, bitmap.Height), Is.EqualTo((width, height)), "decoded size = IHDR size");
        var colours = new HashSet<uint>();
        for (int y = 0; y < bitmap.Height; y += 2)
        for (int x = 0; x < bitmap.Width; x += 2)
            colours.Add((uint)bitmap.GetPixel(x, y));
        Assert.That(colours, Has.Count.GreaterThan(minColours), "distinct colours");
        return (width, height);
    }

    /// <summary>
    /// Asserts that the title band (the top <paramref name="bandHeight"/> rows, middle half of the width) holds text: at least
    /// 5 rows with some, but not mostly, dark pixels. A frame line is one fully dark row, and without a usable font
    /// (no system fonts and no embedded one) SkiaSharp draws no glyphs at all, so the band would be blank.
    /// </summary>
    public static void HasTitleText(string path, int bandHeight = 35)
    {
        using var bitmap = SKBitmap.Decode(path);
        int from = bitmap.Width / 4, to = bitmap.Width * 3 / 4, textRows = 0;
        for (int y = 0; y < Math.Min(bandHeight, bitmap.Height); y++)
        {
            int dark = 0;
            for (int x = from; x < to; x++)
            {
                var c = bitmap.GetPixel(x, y);
                if (c.Red + c.Green + c.Blue < 3 * 128) dark++;
            }
            if (dark > 0 && dark < (to - from) * 0.6) textRows++;
        }
        Assert.That(textRows, Is.GreaterThanOrEqualTo(5), "rows of title text (is a font available?)");
    }

    /// <summary>Asserts that no temp file of an atomic write is left in <paramref name="directory"/>.</summary>
    public static void NoTempFiles(string directory) =>
        Assert.That(Directory.GetFiles(directory, "*.tmp"), Is.Empty, "leftover temp files");
}
