using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transfer.Models.Heads;

namespace MLNet.Transfer.MLNetIntegration;

/// <summary>A task's label column in a data view.</summary>
/// <param name="Task">Index of the task in the model.</param>
/// <param name="Column">Label column name.</param>
/// <param name="Kind">Task kind.</param>
internal sealed record LabelSource(int Task, string Column, TaskKind Kind);

/// <summary>Texts (and optional second texts) with one target per task (null = no label for that task).</summary>
internal sealed record LabeledTexts(List<string> Texts, List<string>? Pairs, List<float[]?[]> Targets);

/// <summary>
/// Reads (text, labels) rows for one or more tasks, rejecting bad labels with the row number, column and value.
/// Multiclass labels may be keys (MapValueToKey) or text; both are mapped to the training class names by name, so a
/// validation set keyed differently still lines up.
/// </summary>
internal static class LabeledTextReader
{
    /// <summary>Checks the label column's type for <paramref name="kind"/> (before any work).</summary>
    public static DataViewSchema.Column CheckLabelType(DataViewSchema schema, string label, TaskKind kind)
    {
        var column = schema.GetColumnOrNull(label)
            ?? throw new ArgumentOutOfRangeException(nameof(schema), $"Label column '{label}' was not found (columns: {string.Join(", ", schema.Select(c => c.Name))}).");
        var type = column.Type;
        static bool Number(DataViewType t) => t == NumberDataViewType.Single || t == NumberDataViewType.Double;
        bool ok = kind switch
        {
            TaskKind.Binary => type is BooleanDataViewType || Number(type),
            TaskKind.Multiclass => type is KeyDataViewType { Count: >= 2 } or TextDataViewType,
            TaskKind.Regression => Number(type),
            _ => type is VectorDataViewType { IsKnownSize: true } v && (v.ItemType is BooleanDataViewType || Number(v.ItemType)),
        };
        if (ok) return column;
        string expected = kind switch
        {
            TaskKind.Binary => "Boolean (or Single/Double 0/1)",
            TaskKind.Multiclass => "a key type with at least 2 values (MapValueToKey) or text",
            TaskKind.Regression => "Single or Double",
            _ => "a known-size vector of Boolean (or Single/Double 0/1), one slot per label",
        };
        throw new ArgumentOutOfRangeException(nameof(schema), $"Label column '{label}' is {type} but {kind} fine-tuning needs {expected}.");
    }

    /// <summary>
    /// Class names (multiclass: key values, or the sorted distinct texts) or label names (multi-label: slot names, or
    /// "0".."K-1") of a label column; null for binary and regression.
    /// </summary>
    public static string[]? Names(IDataView data, string label, TaskKind kind)
    {
        var column = CheckLabelType(data.Schema, label, kind);
        switch (kind)
        {
            case TaskKind.Multiclass when column.Type is KeyDataViewType key:
                return KeyNames(column) ?? Enumerable.Range(1, (int)key.Count).Select(i => i.ToString()).ToArray();
            case TaskKind.Multiclass:
            {
                var names = new SortedSet<string>(StringComparer.Ordinal);
                using var cursor = data.GetRowCursor([column]);
                var getter = cursor.GetGetter<ReadOnlyMemory<char>>(column);
                ReadOnlyMemory<char> value = default;
                while (cursor.MoveNext())
                {
                    getter(ref value);
                    if (!value.Span.IsWhiteSpace()) names.Add(value.ToString().Trim());
                }
                return [.. names];
            }
            case TaskKind.MultiLabel:
            {
                int size = ((VectorDataViewType)column.Type).Size;
                if (column.Annotations.Schema.GetColumnOrNull("SlotNames") is { Type: VectorDataViewType { ItemType: TextDataViewType } slots } && slots.Size == size)
                {
                    VBuffer<ReadOnlyMemory<char>> names = default;
                    column.GetSlotNames(ref names);
                    var dense = names.DenseValues().Select(n => n.ToString()).ToArray();
                    if (dense.All(n => n.Length > 0)) return dense;
                }
                return Enumerable.Range(0, size).Select(i => i.ToString()).ToArray();
            }
            default:
                return null;
        }
    }

    /// <summary>
    /// Reads every row of <paramref name="data"/>. <paramref name="names"/> holds each task's class/label names (by task
    /// index). With <paramref name="allowMissing"/>, a missing label (NaN, key 0, empty text) means "no label for that
    /// task" and rows labelled for no task are skipped; otherwise it is an error.
    /// </summary>
    public static LabeledTexts Read(IDataView data, string textColumn, string? secondColumn, int taskCount, IReadOnlyList<LabelSource> labels,
                                    IReadOnlyList<string[]?> names, bool allowMissing, string what)
    {
        var schema = data.Schema;
        SchemaShapes.RequireText(schema, textColumn, "Text");
        if (secondColumn is not null) SchemaShapes.RequireText(schema, secondColumn, "Second text");
        var labelColumns = labels.Select(l => CheckLabelType(schema, l.Column, l.Kind)).ToArray();
        var textCol = schema[textColumn];
        var pairCol = secondColumn is null ? (DataViewSchema.Column?)null : schema[secondColumn];
        var columns = labelColumns.Append(textCol).Concat(pairCol is { } pc ? [pc] : Array.Empty<DataViewSchema.Column>()).Distinct().ToArray();

        var texts = new List<string>();
        var pairs = pairCol is null ? null : new List<string>();
        var targets = new List<float[]?[]>();
        using var cursor = data.GetRowCursor(columns);
        var textGetter = cursor.GetGetter<ReadOnlyMemory<char>>(textCol);
        var pairGetter = pairCol is { } p ? cursor.GetGetter<ReadOnlyMemory<char>>(p) : null;
        var getters = labels.Select((l, i) => TargetGetter(cursor, labelColumns[i], l, names[l.Task], what)).ToArray();
        ReadOnlyMemory<char> text = default, pair = default;
        long row = 0;
        while (cursor.MoveNext())
        {
            row++;
            var rowTargets = new float[]?[taskCount];
            bool any = false;
            for (int i = 0; i < labels.Count; i++)
            {
                var target = getters[i](row);
                if (target is null && !allowMissing) throw MissingLabel(what, row, labels[i]);
                rowTargets[labels[i].Task] = target;
                any |= target is not null;
            }
            if (!any) continue;
            textGetter(ref text);
            texts.Add(text.ToString());
            if (pairGetter is not null) { pairGetter(ref pair); pairs!.Add(pair.ToString()); }
            targets.Add(rowTargets);
        }
        if (texts.Count == 0) throw new InvalidDataException($"The {what} is empty: no labelled rows.");
        return new LabeledTexts(texts, pairs, targets);
    }

    private static InvalidDataException MissingLabel(string what, long row, LabelSource label) => new(label.Kind switch
    {
        TaskKind.Regression => $"{what} row {row}: regression target 'NaN' in column '{label.Column}' is not a finite number.",
        TaskKind.Binary => $"{what} row {row}: label 'NaN' in column '{label.Column}' is not 0/1 (or true/false).",
        TaskKind.MultiLabel => $"{what} row {row}: a slot of label column '{label.Column}' is NaN, not 0/1.",
        _ => $"{what} row {row}: the label in column '{label.Column}' is missing (empty or not in the key mapping).",
    });

    /// <summary>A getter of one row's target for a task (null when missing), validating the value.</summary>
    private static Func<long, float[]?> TargetGetter(DataViewRowCursor cursor, DataViewSchema.Column column, LabelSource label, string[]? names, string what)
    {
        string Where(long row) => $"{what} row {row}: label";
        switch (label.Kind)
        {
            case TaskKind.Binary:
            {
                var get = NumberGetter(cursor, column);
                return row =>
                {
                    double v = get();
                    return double.IsNaN(v) ? null : v is 0 or 1 ? [(float)v]
                        : throw new InvalidDataException($"{Where(row)} '{v}' in column '{column.Name}' is not 0/1 (or true/false).");
                };
            }
            case TaskKind.Regression:
            {
                var get = NumberGetter(cursor, column);
                return row =>
                {
                    double v = get();
                    return double.IsNaN(v) ? null : double.IsFinite(v) ? [(float)v]
                        : throw new InvalidDataException($"{Where(row)}: regression target '{v}' in column '{column.Name}' is not a finite number.");
                };
            }
            case TaskKind.Multiclass:
            {
                var index = names!.Select((n, i) => (n, i)).ToDictionary(p => p.n, p => p.i);
                var get = ClassNameGetter(cursor, column);
                return row =>
                {
                    string? name = get();
                    if (name is null) return null;
                    return index.TryGetValue(name, out int i) ? [i]
                        : throw new InvalidDataException($"{Where(row)} '{name}' in column '{column.Name}' was not seen in training (known: {string.Join(", ", names!)}).");
                };
            }
            default:
            {
                int size = ((VectorDataViewType)column.Type).Size;
                if (size != names!.Length)
                    throw new InvalidDataException($"{what}: label column '{column.Name}' has {size} slots but the model has {names.Length} labels ({string.Join(", ", names)}).");
                var get = VectorGetter(cursor, column);
                return row =>
                {
                    var v = get();
                    if (v.Any(double.IsNaN)) return null;
                    int bad = Array.FindIndex(v, x => x is not (0 or 1));
                    return bad < 0 ? v.Select(x => (float)x).ToArray()
                        : throw new InvalidDataException($"{Where(row)} slot {bad} ('{names[bad]}') in column '{column.Name}' is {v[bad]}, not 0/1.");
                };
            }
        }
    }

    private static Func<double> NumberGetter(DataViewRowCursor cursor, DataViewSchema.Column column)
    {
        if (column.Type is BooleanDataViewType) { var g = cursor.GetGetter<bool>(column); bool v = false; return () => { g(ref v); return v ? 1 : 0; }; }
        if (column.Type == NumberDataViewType.Single) { var g = cursor.GetGetter<float>(column); float v = 0; return () => { g(ref v); return v; }; }
        { var g = cursor.GetGetter<double>(column); double v = 0; return () => { g(ref v); return v; }; }
    }

    private static Func<double[]> VectorGetter(DataViewRowCursor cursor, DataViewSchema.Column column)
    {
        var item = ((VectorDataViewType)column.Type).ItemType;
        if (item is BooleanDataViewType) { var g = cursor.GetGetter<VBuffer<bool>>(column); VBuffer<bool> v = default; return () => { g(ref v); return v.DenseValues().Select(b => b ? 1.0 : 0.0).ToArray(); }; }
        if (item == NumberDataViewType.Single) { var g = cursor.GetGetter<VBuffer<float>>(column); VBuffer<float> v = default; return () => { g(ref v); return v.DenseValues().Select(f => (double)f).ToArray(); }; }
        { var g = cursor.GetGetter<VBuffer<double>>(column); VBuffer<double> v = default; return () => { g(ref v); return v.DenseValues().ToArray(); }; }
    }

    /// <summary>The class name of a key (its key value, or the key number) or text label; null when missing.</summary>
    private static Func<string?> ClassNameGetter(DataViewRowCursor cursor, DataViewSchema.Column column)
    {
        if (column.Type is KeyDataViewType)
        {
            var keyNames = KeyNames(column);
            var g = cursor.GetGetter<uint>(column);
            uint key = 0;
            return () => { g(ref key); return key == 0 ? null : keyNames is null ? key.ToString() : keyNames[key - 1]; };
        }
        var t = cursor.GetGetter<ReadOnlyMemory<char>>(column);
        ReadOnlyMemory<char> text = default;
        return () => { t(ref text); return text.Span.IsWhiteSpace() ? null : text.ToString().Trim(); };
    }

    private static string[]? KeyNames(DataViewSchema.Column column)
    {
        if (column.Annotations.Schema.GetColumnOrNull("KeyValues") is not { Type: VectorDataViewType { ItemType: TextDataViewType } }) return null;
        VBuffer<ReadOnlyMemory<char>> names = default;
        column.GetKeyValues(ref names);
        return names.DenseValues().Select(n => n.ToString()).ToArray();
    }
}
