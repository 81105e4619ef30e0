using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.Transfer.Cli;

/// <summary>The names behind a key column (its KeyValues annotation), for printing keys as the labels they stand for.</summary>
public static class KeyColumns
{
    /// <summary>The name of each key, in key order (key k is names[k − 1]); empty when the column has no KeyValues.</summary>
    public static string[] Names(DataViewSchema.Column column)
    {
        if (column.Annotations.Schema.GetColumnOrNull("KeyValues") is null) return [];
        VBuffer<ReadOnlyMemory<char>> names = default;
        column.GetKeyValues(ref names);
        return names.DenseValues().Select(n => n.ToString()).ToArray();
    }

    /// <summary>The name of key <paramref name="key"/> ("?" for the missing key 0).</summary>
    public static string Name(string[] names, uint key) => key == 0 ? "?" : names[key - 1];
}
