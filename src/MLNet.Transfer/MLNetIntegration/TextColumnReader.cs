using Microsoft.ML;

namespace MLNet.Transfer.MLNetIntegration;

/// <summary>Reads a text column of a data view.</summary>
internal static class TextColumnReader
{
    /// <summary>The non-blank texts of <paramref name="column"/> (a text column of <paramref name="data"/>), in row order.</summary>
    public static List<string> NonBlank(IDataView data, string column)
    {
        var col = data.Schema[column];
        var texts = new List<string>();
        using var cursor = data.GetRowCursor([col]);
        var getter = cursor.GetGetter<ReadOnlyMemory<char>>(col);
        ReadOnlyMemory<char> value = default;
        while (cursor.MoveNext())
        {
            getter(ref value);
            if (!value.Span.IsWhiteSpace()) texts.Add(value.ToString());
        }
        return texts;
    }
}
