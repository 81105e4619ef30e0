using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.Transfer.MLNetIntegration;

/// <summary>
/// Base of transformers that add columns computed from input columns a batch of rows at a time (e.g. a neural
/// encoder run on B sentences at once), with everything ML.NET expects of a transformer: schema checks,
/// <see cref="Transform"/> returning a lazily evaluated <see cref="IDataView"/> whose cursors compute batch by batch,
/// and a row-to-row mapper so <c>PredictionEngine</c> works (one row per batch there).
/// </summary>
/// <remarks>
/// <para>Data path of <see cref="Transform"/>'s cursors: one input cursor reads ahead, filling a batch of up to
/// <see cref="BatchSize"/> rows of the <see cref="InputColumns"/> and calling <see cref="ComputeBatch"/> once per batch;
/// a second input cursor moves in step with the output cursor and serves the pass-through columns. The input is
/// therefore enumerated twice (cheap for loaders and simple transforms, which is what precedes an encoder), and
/// nothing is computed when none of the <see cref="OutputColumns"/> is requested. Cursors never shuffle.</para>
/// <para>Persistence: implement <see cref="IPersistableModel{TSelf}"/> on the derived class and save from
/// <see cref="SaveModel"/> with <see cref="ModelPersistence.Save{T}"/>.</para>
/// </remarks>
public abstract class BatchedTransformerBase : ITransformer
{
    /// <summary>Initializes the column descriptions and batch size.</summary>
    /// <param name="inputColumns">The columns <see cref="ComputeBatch"/> reads, in the order of <see cref="ColumnBatch.Input{T}"/> indices.</param>
    /// <param name="outputColumns">The columns added, in the order of <see cref="ColumnBatch.Output{T}"/> indices; at least one.</param>
    /// <param name="batchSize">Maximum rows per <see cref="ComputeBatch"/> call, at least 1.</param>
    protected BatchedTransformerBase(IReadOnlyList<BatchInputColumn> inputColumns, IReadOnlyList<BatchOutputColumn> outputColumns, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(inputColumns);
        ArgumentNullException.ThrowIfNull(outputColumns);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        if (outputColumns.Count == 0)
            throw new ArgumentException("At least one output column is required.", nameof(outputColumns));
        string? duplicate = outputColumns.GroupBy(c => c.Name).FirstOrDefault(g => g.Count() > 1)?.Key;
        if (duplicate is not null)
            throw new ArgumentException($"Output column '{duplicate}' is listed twice.", nameof(outputColumns));
        InputColumns = inputColumns.ToArray();
        OutputColumns = outputColumns.ToArray();
        BatchSize = batchSize;
    }

    /// <summary>The columns read by <see cref="ComputeBatch"/>.</summary>
    public IReadOnlyList<BatchInputColumn> InputColumns { get; }

    /// <summary>The columns added to the input.</summary>
    public IReadOnlyList<BatchOutputColumn> OutputColumns { get; }

    /// <summary>Maximum rows per <see cref="ComputeBatch"/> call.</summary>
    public int BatchSize { get; }

    bool ITransformer.IsRowToRowMapper => true;

    /// <summary>The schema <see cref="Transform"/> produces: the input columns, then <see cref="OutputColumns"/>.</summary>
    /// <param name="inputSchema">Schema of the data to transform.</param>
    /// <exception cref="ArgumentOutOfRangeException">An input column is missing or has the wrong type.</exception>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => new BoundColumns(this, inputSchema).OutputSchema;

    /// <summary>Returns a lazily evaluated view of <paramref name="input"/> with <see cref="OutputColumns"/> added.</summary>
    /// <param name="input">The data to transform.</param>
    /// <exception cref="ArgumentOutOfRangeException">An input column is missing or has the wrong type.</exception>
    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return new BatchedDataView(input, new BoundColumns(this, input.Schema));
    }

    IRowToRowMapper ITransformer.GetRowToRowMapper(DataViewSchema inputSchema) => new BatchedRowMapper(new BoundColumns(this, inputSchema));

    void ICanSaveModel.Save(ModelSaveContext ctx) => SaveModel(ctx);

    /// <summary>Saves the transformer (usually through <see cref="ModelPersistence.Save{T}"/>).</summary>
    /// <param name="ctx">The context ML.NET passes to <see cref="ICanSaveModel.Save"/>.</param>
    protected abstract void SaveModel(ModelSaveContext ctx);

    /// <summary>
    /// Computes the output columns of one batch: read <see cref="ColumnBatch.Input{T}"/>, fill every slot of every
    /// <see cref="ColumnBatch.Output{T}"/>. May be called concurrently by several cursors or prediction engines, so keep
    /// per-call state local (or lock).
    /// </summary>
    /// <param name="batch">The batch's input values and output slots.</param>
    protected internal abstract void ComputeBatch(ColumnBatch batch);
}
