using Microsoft.ML;

namespace MLNet.Transfer.Cli;

/// <summary>A binary row: the model's input schema is always (Label, Text).</summary>
public sealed class BinaryRow { /// <summary>Label.</summary>
    public bool Label { get; set; } /// <summary>Text.</summary>
    public string Text { get; set; } = ""; }

/// <summary>A multiclass row (string label, mapped to a key inside the pipeline).</summary>
public sealed class MulticlassRow { /// <summary>Label.</summary>
    public string Label { get; set; } = ""; /// <summary>Text.</summary>
    public string Text { get; set; } = ""; }

/// <summary>A regression row.</summary>
public sealed class RegressionRow { /// <summary>Label.</summary>
    public float Label { get; set; } /// <summary>Text.</summary>
    public string Text { get; set; } = ""; }

/// <summary>Turns a TSV file into an ML.NET <see cref="IDataView"/> for a task, validating every label.</summary>
public static class LabeledData
{
    /// <summary>Loads <paramref name="file"/>'s label/text columns (only <paramref name="rows"/> when given) as rows of the task's type.</summary>
    public static IDataView Load(MLContext mlContext, TsvFile file, string task, string labelColumn, string textColumn, IReadOnlyList<int>? rows = null)
    {
        int label = file.Column(labelColumn, "label-col"), text = file.Column(textColumn, "text-col");
        var selected = rows ?? Enumerable.Range(0, file.Rows.Count).ToArray();
        return task switch
        {
            "binary" => mlContext.Data.LoadFromEnumerable(selected.Select(i => new BinaryRow { Label = ParseBool(file.Rows[i][label], file, i), Text = file.Rows[i][text] }).ToList()),
            "multiclass" => mlContext.Data.LoadFromEnumerable(selected.Select(i => new MulticlassRow { Label = file.Rows[i][label].Trim(), Text = file.Rows[i][text] }).ToList()),
            _ => mlContext.Data.LoadFromEnumerable(selected.Select(i => new RegressionRow { Label = ParseFloat(file.Rows[i][label], file, i), Text = file.Rows[i][text] }).ToList()),
        };
    }

    /// <summary>Distinct labels of a column, sorted.</summary>
    public static string[] Labels(TsvFile file, string labelColumn)
    {
        int label = file.Column(labelColumn, "label-col");
        return file.Rows.Select(r => r[label].Trim()).Distinct().Order(StringComparer.Ordinal).ToArray();
    }

    private static bool ParseBool(string value, TsvFile file, int row) => value.Trim().ToLowerInvariant() switch
    {
        "1" or "true" => true,
        "0" or "false" => false,
        _ => throw new CliException($"{file.Path} line {row + 2}: binary label '{value}' is not 0/1 or true/false (use --task multiclass for other labels)."),
    };

    private static float ParseFloat(string value, TsvFile file, int row)
    {
        if (!float.TryParse(value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out float f) || !float.IsFinite(f))
            throw new CliException($"{file.Path} line {row + 2}: regression target '{value}' is not a finite number.");
        return f;
    }
}
