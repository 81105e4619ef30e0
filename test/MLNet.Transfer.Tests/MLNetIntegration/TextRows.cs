using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.Transfer.Tests.MLNetIntegration;

/// <summary>A labelled text row for ML.NET tests.</summary>
public sealed class TextRow
{
    public bool Label { get; set; }
    public string Text { get; set; } = "";
}

/// <summary>Loading the UCI sentences and reading columns back as comparable text.</summary>
internal static class TextRows
{
    public static readonly string[] SampleTexts =
    [
        "An absolute delight from start to finish.", "", "   ", "Worst purchase I have ever made.",
        "Трудно сказать, но фильм хороший 🙂 — 很好", new string('x', 12_000), "meh",
    ];

    public static IDataView Sample(MLContext mlContext) =>
        mlContext.Data.LoadFromEnumerable(SampleTexts.Select((t, i) => new TextRow { Text = t, Label = i % 2 == 0 }).ToList());

    public static IDataView Uci(MLContext mlContext, params string[] sites) =>
        mlContext.Data.LoadFromEnumerable(sites.SelectMany(site => File.ReadLines(RepoData.Uci(site)).Skip(1))
            .Select(l => l.Split('\t', 2)).Select(p => new TextRow { Label = p[0] == "1", Text = p[1] }).ToList());

    /// <summary>Every value of a Single or Single-vector column, one line per row, round-trippable text.</summary>
    public static List<string> Column(IDataView data, string column)
    {
        var col = data.Schema[column];
        var lines = new List<string>();
        using var cursor = data.GetRowCursor([col]);
        if (col.Type is VectorDataViewType)
        {
            var getter = cursor.GetGetter<VBuffer<float>>(col);
            VBuffer<float> value = default;
            while (cursor.MoveNext()) { getter(ref value); lines.Add(string.Join(" ", value.DenseValues().Select(v => v.ToString("R")))); }
        }
        else
        {
            var getter = cursor.GetGetter<float>(col);
            float value = 0;
            while (cursor.MoveNext()) { getter(ref value); lines.Add(value.ToString("R")); }
        }
        return lines;
    }
}
