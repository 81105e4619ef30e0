using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transfer.Models.Tagging;
using MLNet.Transfer.Text.Tagging;

namespace MLNet.Transfer.MLNetIntegration;

/// <summary>
/// Reads word and tag sequences out of an <see cref="IDataView"/>: a words column (vector of text) and a tags column
/// (vector of text, or vector of keys whose KeyValues are the tag names), one sentence per row.
/// </summary>
internal static class TagSequenceColumns
{
    /// <summary>Whether <paramref name="type"/> is a vector of text.</summary>
    public static bool IsTextVector(DataViewType type) => type is VectorDataViewType { ItemType: TextDataViewType };

    /// <summary>Whether <paramref name="type"/> is a vector of text or of keys.</summary>
    public static bool IsTagVector(DataViewType type) => type is VectorDataViewType { ItemType: TextDataViewType or KeyDataViewType };

    /// <summary>Each row's strings of <paramref name="column"/> (keys mapped to their KeyValues).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The column is missing or not a vector of text/keys.</exception>
    /// <exception cref="InvalidDataException">A key is missing (0) or outside its KeyValues.</exception>
    public static List<string[]> Read(IDataView data, string column, string role)
    {
        var col = data.Schema.GetColumnOrNull(column)
            ?? throw new ArgumentOutOfRangeException(nameof(column), $"{role} column '{column}' was not found (columns: {string.Join(", ", data.Schema.Select(c => c.Name))}).");
        if (!IsTagVector(col.Type))
            throw new ArgumentOutOfRangeException(nameof(column), $"{role} column '{column}' must be a vector of text (or of keys), but it is {col.Type}.");
        var rows = new List<string[]>();
        using var cursor = data.GetRowCursor([col]);
        if (((VectorDataViewType)col.Type).ItemType is KeyDataViewType)
        {
            var names = KeyNames(col, role);
            var getter = cursor.GetGetter<VBuffer<uint>>(col);
            VBuffer<uint> value = default;
            while (cursor.MoveNext())
            {
                getter(ref value);
                rows.Add(value.DenseValues().Select(k => k >= 1 && k <= names.Length ? names[k - 1]
                    : throw new InvalidDataException($"{role} column '{column}', row {rows.Count + 1}: key {k} has no tag name (missing value or outside the KeyValues).")).ToArray());
            }
        }
        else
        {
            var getter = cursor.GetGetter<VBuffer<ReadOnlyMemory<char>>>(col);
            VBuffer<ReadOnlyMemory<char>> value = default;
            while (cursor.MoveNext())
            {
                getter(ref value);
                rows.Add(value.DenseValues().Select(v => v.ToString()).ToArray());
            }
        }
        return rows;
    }

    /// <summary>The KeyValues of a key (or key-vector) column as strings.</summary>
    public static string[] KeyNames(DataViewSchema.Column column, string role)
    {
        if (column.Annotations.Schema.GetColumnOrNull("KeyValues") is null)
            throw new ArgumentOutOfRangeException(nameof(column), $"{role} column '{column.Name}' holds keys without KeyValues, so its tag names are unknown; use MapValueToKey or a text column.");
        VBuffer<ReadOnlyMemory<char>> names = default;
        column.GetKeyValues(ref names);
        return names.DenseValues().Select(n => n.ToString()).ToArray();
    }

    /// <summary>
    /// A tagger's two output columns: <paramref name="predictedLabel"/>, a vector of keys (one per word) whose KeyValues are
    /// <paramref name="tags"/>, and <paramref name="score"/>, the probability of each predicted tag.
    /// </summary>
    public static BatchOutputColumn[] OutputColumns(string predictedLabel, string score, IReadOnlyList<string> tags)
    {
        var names = new VBuffer<ReadOnlyMemory<char>>(tags.Count, tags.Select(t => t.AsMemory()).ToArray());
        ValueGetter<VBuffer<ReadOnlyMemory<char>>> get = (ref VBuffer<ReadOnlyMemory<char>> v) => names.CopyTo(ref v);
        var keyValues = new DataViewSchema.Annotations.Builder();
        keyValues.Add("KeyValues", new VectorDataViewType(TextDataViewType.Instance, tags.Count), get);
        return [new BatchOutputColumn(predictedLabel, new VectorDataViewType(new KeyDataViewType(typeof(uint), tags.Count)), keyValues.ToAnnotations()),
                new BatchOutputColumn(score, new VectorDataViewType(NumberDataViewType.Single))];
    }

    /// <summary>The same columns as <see cref="SchemaShape"/> columns, for an estimator's GetOutputSchema.</summary>
    public static SchemaShape.Column[] OutputShapes(string predictedLabel, string score)
    {
        var keyValues = new SchemaShape([SchemaShapes.Column("KeyValues", SchemaShape.Column.VectorKind.Vector, TextDataViewType.Instance, false)]);
        return [SchemaShapes.Column(predictedLabel, SchemaShape.Column.VectorKind.VariableVector, NumberDataViewType.UInt32, true, keyValues),
                SchemaShapes.Column(score, SchemaShape.Column.VectorKind.VariableVector, NumberDataViewType.Single, false)];
    }

    /// <summary>Checks that <paramref name="inputSchema"/> has a words column (vector of text) and, unless null, a tags column (vector of text or keys).</summary>
    /// <param name="inputSchema">The estimator's input schema.</param>
    /// <param name="tokensColumn">Words column name.</param>
    /// <param name="tagsColumn">Tags column name (null: not checked).</param>
    /// <param name="where">Appended to the column role in messages, e.g. " (task 'ner')".</param>
    public static void CheckShapes(SchemaShape inputSchema, string tokensColumn, string? tagsColumn, string where = "")
    {
        var tokens = SchemaShapes.Find(inputSchema, tokensColumn, $"Tokens{where}");
        if (tokens.Kind == SchemaShape.Column.VectorKind.Scalar || tokens.ItemType is not TextDataViewType)
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Tokens column '{tokensColumn}'{where} must be a vector of text (one word per slot), but it is {tokens.ItemType}{(tokens.Kind == SchemaShape.Column.VectorKind.Scalar ? "" : " vector")}.");
        if (tagsColumn is null) return;
        var tags = SchemaShapes.Find(inputSchema, tagsColumn, $"Tags{where}");
        if (tags.Kind == SchemaShape.Column.VectorKind.Scalar || tags.ItemType is not (TextDataViewType or KeyDataViewType))
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Tags column '{tagsColumn}'{where} must be a vector of text or keys (one tag per word), but it is {tags.ItemType}{(tags.Kind == SchemaShape.Column.VectorKind.Scalar ? "" : " vector")}.");
    }

    /// <summary>The words of each row of a batch's words input column <paramref name="input"/>.</summary>
    public static IReadOnlyList<string>[] Words(ColumnBatch batch, int input)
    {
        var values = batch.Input<VBuffer<ReadOnlyMemory<char>>>(input);
        var sentences = new IReadOnlyList<string>[batch.RowCount];
        for (int i = 0; i < sentences.Length; i++) sentences[i] = values[i].DenseValues().Select(w => w.ToString()).ToArray();
        return sentences;
    }

    /// <summary>Writes <paramref name="predictions"/> into the batch's <see cref="OutputColumns"/>, starting at output column <paramref name="first"/>.</summary>
    public static void Fill(IReadOnlyList<TagPrediction> predictions, ColumnBatch batch, int first)
    {
        var labels = batch.Output<VBuffer<uint>>(first);
        var scores = batch.Output<VBuffer<float>>(first + 1);
        for (int i = 0; i < predictions.Count; i++)
        {
            var p = predictions[i];
            labels[i] = new VBuffer<uint>(p.Tags.Length, p.Tags.Select(t => (uint)t + 1).ToArray());
            scores[i] = new VBuffer<float>(p.Scores.Length, p.Scores);
        }
    }

    /// <summary>The tag set: a key column's KeyValues in key order, else "O" (when present) then the tags in ordinal order.</summary>
    public static string[] TagSet(DataViewSchema.Column column, IReadOnlyList<TaggedSentence> train)
    {
        if (((VectorDataViewType)column.Type).ItemType is KeyDataViewType) return KeyNames(column, "Tags");
        var distinct = train.SelectMany(s => s.Tags).Distinct(StringComparer.Ordinal).ToList();
        return distinct.Where(t => t == "O").Concat(distinct.Where(t => t != "O").OrderBy(t => t, StringComparer.Ordinal)).ToArray();
    }

    /// <summary>Sentences from the words and tags columns; rows must have as many tags as words (row numbers are 1-based).</summary>
    public static List<TaggedSentence> ReadSentences(IDataView data, string tokensColumn, string tagsColumn, string what)
    {
        var tokens = Read(data, tokensColumn, "Tokens");
        var tags = Read(data, tagsColumn, "Tags");
        var sentences = new List<TaggedSentence>(tokens.Count);
        for (int r = 0; r < tokens.Count; r++)
        {
            if (tokens[r].Length != tags[r].Length)
                throw new InvalidDataException($"{what}, row {r + 1}: {tokens[r].Length} tokens but {tags[r].Length} tags in '{tagsColumn}'.");
            if (tokens[r].Length > 0) sentences.Add(new TaggedSentence(tokens[r], tags[r], r + 1));
        }
        if (sentences.Count == 0) throw new InvalidDataException($"{what} has no non-empty sentences.");
        return sentences;
    }
}
