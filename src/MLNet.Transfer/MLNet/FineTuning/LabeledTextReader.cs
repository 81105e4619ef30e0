using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transfer.Models.Heads;

namespace MLNet.Transfer.MLNetIntegration;

/// <summary>Texts and targets read from an <see cref="IDataView"/>, with label names for multiclass.</summary>
internal sealed record LabeledTexts(List<string> Texts, List<string>? Pairs, List<float> Targets, string[]? ClassNames);

/// <summary>Reads (text, label) rows for a task kind, rejecting bad labels with the row number and value.</summary>
internal static class LabeledTextReader
{
    /// <summary>Checks the label column's type for <paramref name="kind"/> (before any work).</summary>
    public static void CheckLabelType(DataViewSchema schema, string label, TaskKind kind)
    {
        var column = schema.GetColumnOrNull(label)
            ?? throw new ArgumentOutOfRangeException(nameof(schema), $"Label column '{label}' was not found (columns: {string.Join(", ", schema.Select(c => c.Name))}).");
        var type = column.Type;
        bool ok = kind switch
        {
            TaskKind.Binary => type is BooleanDataViewType || type == NumberDataViewType.Single || type == NumberDataViewType.Double,
            TaskKind.Multiclass => type is KeyDataViewType { Count: >= 2 },
            TaskKind.Regression => type == NumberDataViewType.Single || type == NumberDataViewType.Double,
            _ => false,
        };
        if (ok) return;
        string hint = kind == TaskKind.Multiclass && type is not KeyDataViewType
            ? $" Map it to a key first: mlContext.Transforms.Conversion.MapValueToKey(\"{label}\")."
            : "";
        string expected = kind switch
        {
            TaskKind.Binary => "Boolean (or Single/Double 0/1)",
            TaskKind.Multiclass => "a key type with at least 2 values",
            _ => "Single or Double",
        };
        throw new ArgumentOutOfRangeException(nameof(schema), $"Label column '{label}' is {type} but {kind} fine-tuning needs {expected}.{hint}");
    }

    /// <summary>
    /// Reads every row. With <paramref name="classNames"/> (validation data of a multiclass model) a text label column
    /// is accepted too and mapped by name, since validation data usually has not been through the pipeline's MapValueToKey.
    /// </summary>
    public static LabeledTexts Read(IDataView data, FineTuneTransformerOptions options, TaskKind kind, string what, string[]? classNames = null)
    {
        var schema = data.Schema;
        SchemaShapes.RequireText(schema, options.TextColumnName, "Text");
        if (options.SecondTextColumnName is { } second) SchemaShapes.RequireText(schema, second, "Second text");
        bool byName = classNames is not null && schema.GetColumnOrNull(options.LabelColumnName)?.Type is TextDataViewType;
        if (!byName) CheckLabelType(schema, options.LabelColumnName, kind);
        var labelColumn = schema[options.LabelColumnName];
        var textColumn = schema[options.TextColumnName];
        var pairColumn = options.SecondTextColumnName is null ? (DataViewSchema.Column?)null : schema[options.SecondTextColumnName];
        var columns = new List<DataViewSchema.Column> { labelColumn, textColumn };
        if (pairColumn is { } pc) columns.Add(pc);

        var texts = new List<string>();
        var pairs = pairColumn is null ? null : new List<string>();
        var targets = new List<float>();
        using var cursor = data.GetRowCursor(columns);
        var textGetter = cursor.GetGetter<ReadOnlyMemory<char>>(textColumn);
        var pairGetter = pairColumn is { } p ? cursor.GetGetter<ReadOnlyMemory<char>>(p) : null;
        var label = byName ? NameGetter(cursor, labelColumn, classNames!, what) : LabelGetter(cursor, labelColumn);
        ReadOnlyMemory<char> text = default, pair = default;
        long row = 0;
        while (cursor.MoveNext())
        {
            row++;
            double value = label();
            float target = kind switch
            {
                TaskKind.Binary => value is 0 or 1 ? (float)value
                    : throw new InvalidDataException($"{what} row {row}: label '{value}' in column '{labelColumn.Name}' is not 0/1 (or true/false)."),
                TaskKind.Multiclass => value >= 1 ? (float)(value - 1)
                    : throw new InvalidDataException($"{what} row {row}: label in column '{labelColumn.Name}' is missing (not in the key mapping)."),
                _ => double.IsFinite(value) ? (float)value
                    : throw new InvalidDataException($"{what} row {row}: regression target '{value}' in column '{labelColumn.Name}' is not a finite number."),
            };
            textGetter(ref text);
            texts.Add(text.ToString());
            if (pairGetter is not null) { pairGetter(ref pair); pairs!.Add(pair.ToString()); }
            targets.Add(target);
        }
        if (texts.Count == 0) throw new InvalidDataException($"The {what} data is empty: no rows to train on.");
        return new LabeledTexts(texts, pairs, targets, kind == TaskKind.Multiclass ? classNames ?? ClassNames(labelColumn) : null);
    }

    /// <summary>A text label mapped to its 1-based key by class name; an unknown name is an error naming the row.</summary>
    private static Func<double> NameGetter(DataViewRowCursor cursor, DataViewSchema.Column column, string[] classNames, string what)
    {
        var keys = classNames.Select((name, i) => (name, i)).ToDictionary(p => p.name, p => p.i + 1);
        var getter = cursor.GetGetter<ReadOnlyMemory<char>>(column);
        ReadOnlyMemory<char> value = default;
        return () =>
        {
            getter(ref value);
            string name = value.ToString();
            return keys.TryGetValue(name, out int key) ? key
                : throw new InvalidDataException($"{what} row {cursor.Position + 1}: label '{name}' in column '{column.Name}' was not seen in training (known: {string.Join(", ", classNames)}).");
        };
    }

    private static Func<double> LabelGetter(DataViewRowCursor cursor, DataViewSchema.Column column)
    {
        switch (column.Type)
        {
            case BooleanDataViewType:
            {
                var g = cursor.GetGetter<bool>(column); bool v = false;
                return () => { g(ref v); return v ? 1 : 0; };
            }
            case KeyDataViewType:
            {
                var g = cursor.GetGetter<uint>(column); uint v = 0;
                return () => { g(ref v); return v; };
            }
            default:
                if (column.Type == NumberDataViewType.Single) { var g = cursor.GetGetter<float>(column); float v = 0; return () => { g(ref v); return v; }; }
                else { var g = cursor.GetGetter<double>(column); double v = 0; return () => { g(ref v); return v; }; }
        }
    }

    /// <summary>The text key values of a key-typed label (class names), or "1".."K" when it has none.</summary>
    public static string[] ClassNames(DataViewSchema.Column label)
    {
        int count = (int)((KeyDataViewType)label.Type).Count;
        if (label.Annotations.Schema.GetColumnOrNull("KeyValues") is { Type: VectorDataViewType { ItemType: TextDataViewType } })
        {
            VBuffer<ReadOnlyMemory<char>> names = default;
            label.GetKeyValues(ref names);
            return names.DenseValues().Select(n => n.ToString()).ToArray();
        }
        return Enumerable.Range(1, count).Select(i => i.ToString()).ToArray();
    }
}
