using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.Transfer.MLNetIntegration;

/// <summary>Multiple-choice questions as read from a data view: contexts, their candidates, and the right candidate's 0-based slot.</summary>
internal sealed record ChoiceQuestions(List<string> Contexts, List<string[]> Candidates, List<int> Answers);

/// <summary>
/// Reads and checks multiple-choice data: a text context column, a known-size vector-of-text candidates column, and a label
/// (key with one value per candidate, or a 0-based number); bad values are rejected with the row, column and value.
/// </summary>
internal static class MultipleChoiceReader
{
    /// <summary>Checks that the context column is text and the candidates column a known-size vector of text.</summary>
    public static void CheckInputs(SchemaShape schema, FineTuneMultipleChoiceOptions o)
    {
        SchemaShapes.RequireText(schema, o.TextColumnName, "Context");
        var candidates = SchemaShapes.Find(schema, o.CandidatesColumnName, "Candidates");
        if (candidates.Kind != SchemaShape.Column.VectorKind.Vector || candidates.ItemType is not TextDataViewType)
            throw new ArgumentOutOfRangeException(nameof(schema),
                $"Candidates column '{o.CandidatesColumnName}' must be a known-size vector of text (one candidate per slot), but it is " +
                $"{(candidates.Kind == SchemaShape.Column.VectorKind.Scalar ? $"{candidates.ItemType}" : $"a {(candidates.Kind == SchemaShape.Column.VectorKind.VariableVector ? "variable-size " : "")}vector of {candidates.ItemType}")}.");
    }

    /// <summary>The candidates column's vector size in a concrete schema (at least 2), after the checks of the shape overload.</summary>
    public static int CandidateCount(DataViewSchema schema, FineTuneMultipleChoiceOptions o)
    {
        CheckInputs(SchemaShapes.FromSchema(schema), o);
        int size = ((VectorDataViewType)schema[o.CandidatesColumnName].Type).Size;
        if (size < 2) throw new ArgumentOutOfRangeException(nameof(schema), $"Candidates column '{o.CandidatesColumnName}' has {size} slot; multiple choice needs at least 2 candidates.");
        return size;
    }

    /// <summary>Checks that the label column can name a candidate among <paramref name="candidates"/> (-1 = not known yet).</summary>
    public static void CheckLabel(SchemaShape schema, string label, int candidates)
    {
        var column = SchemaShapes.Find(schema, label, "Label");
        bool number = column.ItemType == NumberDataViewType.Single || column.ItemType == NumberDataViewType.Double
                      || column.ItemType == NumberDataViewType.Int32 || column.ItemType == NumberDataViewType.UInt32;
        if (column.Kind != SchemaShape.Column.VectorKind.Scalar || !(column.IsKey || number))
            throw new ArgumentOutOfRangeException(nameof(schema), $"Label column '{label}' must be a key (one value per candidate) or a number holding the right candidate's 0-based slot (Single, Double, Int32, UInt32), but it is {column.ItemType}{(column.Kind == SchemaShape.Column.VectorKind.Scalar ? "" : " vector")}.");
        if (column.IsKey && candidates > 0 && column.ItemType is KeyDataViewType key && key.Count != (ulong)candidates)
            throw new ArgumentOutOfRangeException(nameof(schema), $"Label column '{label}' is a key with {key.Count} values but there are {candidates} candidates; the key must have one value per candidate.");
    }

    /// <summary>Reads every row of <paramref name="data"/> (<paramref name="what"/> names it in messages, e.g. "training data").</summary>
    public static ChoiceQuestions Read(IDataView data, FineTuneMultipleChoiceOptions o, int candidates, string what)
    {
        var schema = data.Schema;
        if (CandidateCount(schema, o) != candidates)
            throw new ArgumentOutOfRangeException(nameof(data), $"The {what}'s candidates column '{o.CandidatesColumnName}' has {CandidateCount(schema, o)} slots but the training data has {candidates}.");
        CheckLabel(SchemaShapes.FromSchema(schema), o.LabelColumnName, candidates);
        var contextColumn = schema[o.TextColumnName];
        var candidatesColumn = schema[o.CandidatesColumnName];
        var labelColumn = schema[o.LabelColumnName];
        var questions = new ChoiceQuestions([], [], []);
        using var cursor = data.GetRowCursor(new[] { contextColumn, candidatesColumn, labelColumn }.Distinct());
        var context = cursor.GetGetter<ReadOnlyMemory<char>>(contextColumn);
        var slots = cursor.GetGetter<VBuffer<ReadOnlyMemory<char>>>(candidatesColumn);
        var answer = AnswerGetter(cursor, labelColumn);
        ReadOnlyMemory<char> text = default;
        VBuffer<ReadOnlyMemory<char>> values = default;
        long row = 0;
        while (cursor.MoveNext())
        {
            row++;
            double value = answer();
            int slot = (int)value;
            if (!(value >= 0 && value < candidates && value == Math.Floor(value)))
                throw new InvalidDataException($"{what} row {row}: label '{Shown(labelColumn, value)}' in column '{labelColumn.Name}' is not a candidate " +
                                               (labelColumn.Type is KeyDataViewType ? $"(a key from 1 to {candidates})." : $"index from 0 to {candidates - 1}."));
            context(ref text);
            slots(ref values);
            var texts = values.DenseValues().Select(v => v.ToString()).ToArray();
            int empty = Array.FindIndex(texts, string.IsNullOrWhiteSpace);
            if (empty >= 0) throw new InvalidDataException($"{what} row {row}: candidate {empty} in column '{candidatesColumn.Name}' is empty.");
            questions.Contexts.Add(text.ToString());
            questions.Candidates.Add(texts);
            questions.Answers.Add(slot);
        }
        if (row == 0) throw new InvalidDataException($"The {what} is empty: no questions.");
        return questions;
    }

    /// <summary>The label as a 0-based candidate slot (key k → k − 1, so a missing key is −1; NaN stays NaN).</summary>
    private static Func<double> AnswerGetter(DataViewRowCursor cursor, DataViewSchema.Column column)
    {
        if (column.Type is KeyDataViewType) { var g = cursor.GetGetter<uint>(column); uint v = 0; return () => { g(ref v); return v - 1.0; }; }
        if (column.Type == NumberDataViewType.Single) { var g = cursor.GetGetter<float>(column); float v = 0; return () => { g(ref v); return v; }; }
        if (column.Type == NumberDataViewType.Int32) { var g = cursor.GetGetter<int>(column); int v = 0; return () => { g(ref v); return v; }; }
        if (column.Type == NumberDataViewType.UInt32) { var g = cursor.GetGetter<uint>(column); uint v = 0; return () => { g(ref v); return v; }; }
        { var g = cursor.GetGetter<double>(column); double v = 0; return () => { g(ref v); return v; }; }
    }

    private static string Shown(DataViewSchema.Column column, double slot) =>
        column.Type is KeyDataViewType ? (slot + 1).ToString(System.Globalization.CultureInfo.InvariantCulture) : slot.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
