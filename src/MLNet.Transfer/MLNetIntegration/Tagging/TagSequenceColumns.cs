using Microsoft.ML;
using Microsoft.ML.Data;
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
