using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.Transfer.MLNetIntegration;

/// <summary>Stratified few-shot samples: k labelled rows per class, reproducible for a seed.</summary>
public static class FewShotSampling
{
    /// <summary>
    /// Source positions of <paramref name="k"/> rows of each class of <paramref name="labelColumnName"/> (every row of a
    /// class with fewer), chosen uniformly at random with <paramref name="seed"/>. Missing labels (NaN, key 0, empty text)
    /// are never chosen. The same data, k and seed always give the same rows, and a larger k keeps the rows of a smaller one.
    /// </summary>
    public static IReadOnlySet<long> Positions(IDataView data, string labelColumnName, int k, int seed)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        var column = data.Schema.GetColumnOrNull(labelColumnName)
            ?? throw new ArgumentOutOfRangeException(nameof(labelColumnName), $"Label column '{labelColumnName}' was not found (columns: {string.Join(", ", data.Schema.Select(c => c.Name))}).");
        var byClass = new Dictionary<string, List<long>>();
        using (var cursor = data.GetRowCursor([column]))
        {
            var label = ClassOf(cursor, column);
            while (cursor.MoveNext())
            {
                if (label() is not { } name) continue;
                if (!byClass.TryGetValue(name, out var rows)) byClass[name] = rows = [];
                rows.Add(cursor.Position);
            }
        }
        if (byClass.Count == 0) throw new InvalidDataException($"Label column '{labelColumnName}' has no labelled rows to sample from.");
        var chosen = new HashSet<long>();
        foreach (var (name, rows) in byClass.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            // A per-class seeded shuffle, so a larger k extends a smaller k's sample (nested learning curves).
            var order = rows.ToArray();
            new Random(unchecked(seed * 7919 + StableHash(name))).Shuffle(order);
            chosen.UnionWith(order.Take(k));
        }
        return chosen;
    }

    /// <summary>The rows at <see cref="Positions"/>, as a lazy view.</summary>
    public static IDataView Sample(IDataView data, string labelColumnName, int k, int seed) =>
        new RowSubsetDataView(data, Positions(data, labelColumnName, k, seed));

    /// <summary>The class of the current row as text (null when the label is missing); throws for unsupported label types.</summary>
    internal static Func<string?> ClassOf(DataViewRowCursor cursor, DataViewSchema.Column column)
    {
        switch (column.Type)
        {
            case BooleanDataViewType: { var g = cursor.GetGetter<bool>(column); bool v = false; return () => { g(ref v); return v ? "true" : "false"; }; }
            case KeyDataViewType: { var g = cursor.GetGetter<uint>(column); uint v = 0; return () => { g(ref v); return v == 0 ? null : v.ToString(); }; }
            case TextDataViewType: { var g = cursor.GetGetter<ReadOnlyMemory<char>>(column); ReadOnlyMemory<char> v = default; return () => { g(ref v); return v.Span.IsWhiteSpace() ? null : v.ToString(); }; }
        }
        if (column.Type == NumberDataViewType.Single) { var g = cursor.GetGetter<float>(column); float v = 0; return () => { g(ref v); return float.IsNaN(v) ? null : v.ToString("R"); }; }
        if (column.Type == NumberDataViewType.Double) { var g = cursor.GetGetter<double>(column); double v = 0; return () => { g(ref v); return double.IsNaN(v) ? null : v.ToString("R"); }; }
        if (column.Type == NumberDataViewType.Int32) { var g = cursor.GetGetter<int>(column); int v = 0; return () => { g(ref v); return v.ToString(); }; }
        throw new ArgumentOutOfRangeException(nameof(column), $"Label column '{column.Name}' is {column.Type}; few-shot sampling needs a Boolean, key, text or number label.");
    }

    /// <summary>FNV-1a: string.GetHashCode is randomised per process, which would break reproducibility.</summary>
    private static int StableHash(string text)
    {
        uint hash = 2166136261;
        foreach (char c in text) hash = (hash ^ c) * 16777619;
        return (int)hash;
    }
}
