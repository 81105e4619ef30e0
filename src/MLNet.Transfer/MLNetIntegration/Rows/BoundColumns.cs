using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.Transfer.MLNetIntegration;

/// <summary>
/// A <see cref="BatchedTransformerBase"/> bound to one input schema: where its input columns are, and the output
/// schema (all input columns, then the added columns, which hide input columns of the same name). An added column whose
/// inputs (<see cref="BatchOutputColumn.Inputs"/>) are not all in the schema is left out; if that leaves none, binding fails
/// on the first missing input.
/// </summary>
internal sealed class BoundColumns
{
    internal BoundColumns(BatchedTransformerBase owner, DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        Owner = owner;
        InputSchema = inputSchema;
        var found = owner.InputColumns.Select(c => inputSchema.GetColumnOrNull(c.Name)).ToArray();
        Present = found.Select(c => c is not null).ToArray();
        Visible = Enumerable.Range(0, owner.OutputColumns.Count)
            .Where(o => (owner.OutputColumns[o].Inputs ?? Enumerable.Range(0, found.Length).ToArray()).All(i => Present[i]))
            .ToArray();
        if (Visible.Length == 0) Present = Present.Select(_ => true).ToArray(); // fail below on the first missing input
        SourceIndices = owner.InputColumns.Select((c, i) => Present[i] ? Find(inputSchema, c) : -1).ToArray();

        var builder = new DataViewSchema.Builder();
        builder.AddColumns(inputSchema);
        foreach (int o in Visible)
            builder.AddColumn(owner.OutputColumns[o].Name, owner.OutputColumns[o].Type, owner.OutputColumns[o].Annotations);
        OutputSchema = builder.ToSchema();
    }

    /// <summary>Whether each of the owner's input columns is in the input schema (else <see cref="SourceIndices"/> holds −1 for it).</summary>
    internal bool[] Present { get; }

    /// <summary>The owner's output columns that the schema can feed, in order: output-schema column PassThroughCount + k is owner output Visible[k].</summary>
    internal int[] Visible { get; }

    /// <summary>The input-schema indices of the present input columns.</summary>
    internal IEnumerable<int> PresentSources => SourceIndices.Where(i => i >= 0);

    internal BatchedTransformerBase Owner { get; }
    internal DataViewSchema InputSchema { get; }
    internal DataViewSchema OutputSchema { get; }

    /// <summary>Input-schema index of each of the owner's input columns.</summary>
    internal int[] SourceIndices { get; }

    /// <summary>Number of leading output columns that pass input columns through.</summary>
    internal int PassThroughCount => InputSchema.Count;

    /// <summary>Active flags of the added columns among <paramref name="columns"/> (output-schema columns).</summary>
    internal bool[] ActiveOutputs(IEnumerable<DataViewSchema.Column> columns)
    {
        var active = new bool[Owner.OutputColumns.Count];
        foreach (DataViewSchema.Column column in columns)
            if (column.Index >= PassThroughCount)
                active[Visible[column.Index - PassThroughCount]] = true;
        return active;
    }

    /// <summary>The input columns that must be read to produce <paramref name="columns"/> (output-schema columns).</summary>
    internal IEnumerable<DataViewSchema.Column> Dependencies(IEnumerable<DataViewSchema.Column> columns)
    {
        var needed = new SortedSet<int>();
        bool anyOutput = false;
        foreach (DataViewSchema.Column column in columns)
        {
            if (column.Index < PassThroughCount) needed.Add(column.Index);
            else anyOutput = true;
        }
        if (anyOutput) needed.UnionWith(PresentSources);
        return needed.Select(i => InputSchema[i]).ToArray();
    }

    /// <summary><see cref="DataViewRow.IsColumnActive"/> of an output row whose pass-through columns come from <paramref name="input"/>.</summary>
    internal bool IsActive(DataViewRow input, bool[] activeOutputs, DataViewSchema.Column column) =>
        column.Index < PassThroughCount
            ? input.IsColumnActive(input.Schema[column.Index])
            : activeOutputs[Visible[column.Index - PassThroughCount]];

    /// <summary>
    /// <see cref="DataViewRow.GetGetter{TValue}"/> of such a row: pass-through columns from <paramref name="input"/>,
    /// added columns from <paramref name="batch"/> at the slot <paramref name="slot"/> returns (which may compute it).
    /// </summary>
    internal ValueGetter<TValue> Getter<TValue>(DataViewRow input, bool[] activeOutputs, ColumnBatch? batch, Func<int> slot, DataViewSchema.Column column)
    {
        if (column.Index < PassThroughCount)
            return input.GetGetter<TValue>(input.Schema[column.Index]);
        int output = Visible[column.Index - PassThroughCount];
        if (!activeOutputs[output])
            throw new InvalidOperationException($"Column '{column.Name}' is not active in this row.");
        return ColumnValues.CreateGetter<TValue>(batch!.OutputArray<TValue>(output), slot, column.Name);
    }

    private static int Find(DataViewSchema schema, BatchInputColumn column)
    {
        DataViewSchema.Column found = schema.GetColumnOrNull(column.Name)
            ?? throw new ArgumentOutOfRangeException("inputSchema", $"Could not find input column '{column.Name}'.");
        if (!column.Accepts(found.Type))
            throw new ArgumentOutOfRangeException("inputSchema",
                $"Schema mismatch for input column '{column.Name}': expected {column.Type}, got {found.Type}.");
        return found.Index;
    }
}
