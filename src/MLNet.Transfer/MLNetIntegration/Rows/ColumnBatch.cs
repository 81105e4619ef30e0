namespace MLNet.Transfer.MLNetIntegration;

/// <summary>
/// One batch of rows handed to <see cref="BatchedTransformerBase.ComputeBatch"/>: the values of the input columns
/// (copied, safe to keep until the call returns) and the slots for the output values, one per row.
/// </summary>
/// <remarks>
/// Element types are the columns' raw types: <c>float</c> for Single, <c>ReadOnlyMemory&lt;char&gt;</c> for Text,
/// <c>VBuffer&lt;float&gt;</c> for vectors of Single, <c>bool</c>, <c>uint</c> for keys, and so on. Output slots keep
/// their previous batch's values, so vector outputs can reuse their buffers with
/// <c>VBufferEditor.Create(ref outputs[i], length)</c>.
/// </remarks>
public sealed class ColumnBatch
{
    private readonly Array[] _inputs;
    private readonly Array[] _outputs;
    private readonly IReadOnlyList<BatchInputColumn> _inputColumns;
    private readonly IReadOnlyList<BatchOutputColumn> _outputColumns;

    internal ColumnBatch(IReadOnlyList<BatchInputColumn> inputs, IReadOnlyList<BatchOutputColumn> outputs, int capacity)
    {
        _inputColumns = inputs;
        _outputColumns = outputs;
        Capacity = capacity;
        _inputs = inputs.Select(c => Array.CreateInstance(c.Type.RawType, capacity)).ToArray();
        _outputs = outputs.Select(c => Array.CreateInstance(c.Type.RawType, capacity)).ToArray();
    }

    /// <summary>Number of rows in this batch (at least 1, at most the transformer's batch size).</summary>
    public int RowCount { get; internal set; }

    internal int Capacity { get; }

    internal bool[]? Present { get; set; }

    /// <summary>
    /// Whether input column <paramref name="column"/> is in the data being transformed. Only a transformer whose output
    /// columns name their inputs can run without one; its slots then hold default values and the outputs computed from it
    /// are not in the output schema (their slots need not be filled).
    /// </summary>
    public bool HasInput(int column) => Present is null || Present[column];

    /// <summary>Values of input column <paramref name="column"/> (index into the transformer's input columns), one per row.</summary>
    /// <typeparam name="T">The column's raw type.</typeparam>
    /// <param name="column">Index of the input column.</param>
    public ReadOnlySpan<T> Input<T>(int column) => InputArray<T>(column).AsSpan(0, RowCount);

    /// <summary>Slots to fill for output column <paramref name="column"/> (index into the transformer's output columns), one per row.</summary>
    /// <typeparam name="T">The column's raw type.</typeparam>
    /// <param name="column">Index of the output column.</param>
    public Span<T> Output<T>(int column) => OutputArray<T>(column).AsSpan(0, RowCount);

    internal T[] InputArray<T>(int column) =>
        Typed<T>(_inputs, column, "input", _inputColumns.Count, i => (_inputColumns[i].Name, _inputColumns[i].Type.RawType));

    internal T[] OutputArray<T>(int column) =>
        Typed<T>(_outputs, column, "output", _outputColumns.Count, i => (_outputColumns[i].Name, _outputColumns[i].Type.RawType));

    internal Array InputArray(int column) => _inputs[column];

    private static T[] Typed<T>(Array[] arrays, int column, string kind, int count, Func<int, (string Name, Type Raw)> describe)
    {
        if ((uint)column >= (uint)count)
            throw new ArgumentOutOfRangeException(nameof(column), $"There are {count} {kind} columns; got index {column}.");
        return arrays[column] as T[] ?? throw new InvalidOperationException(
            $"The {kind} column '{describe(column).Name}' holds {describe(column).Raw.Name} values, not {typeof(T).Name}.");
    }
}
