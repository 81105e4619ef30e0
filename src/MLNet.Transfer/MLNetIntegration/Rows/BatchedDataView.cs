using Microsoft.ML;

namespace MLNet.Transfer.MLNetIntegration;

/// <summary>The lazily evaluated result of <see cref="BatchedTransformerBase.Transform"/>.</summary>
internal sealed class BatchedDataView : IDataView
{
    private readonly IDataView _input;
    private readonly BoundColumns _bound;

    internal BatchedDataView(IDataView input, BoundColumns bound)
    {
        _input = input;
        _bound = bound;
    }

    public bool CanShuffle => false;

    public DataViewSchema Schema => _bound.OutputSchema;

    public long? GetRowCount() => _input.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        ArgumentNullException.ThrowIfNull(columnsNeeded);
        DataViewSchema.Column[] needed = columnsNeeded.ToArray();
        bool[] activeOutputs = _bound.ActiveOutputs(needed);
        DataViewRowCursor main = _input.GetRowCursor(needed.Where(c => c.Index < _bound.PassThroughCount).Select(c => _bound.InputSchema[c.Index]));
        DataViewRowCursor? ahead = activeOutputs.Any(a => a)
            ? _input.GetRowCursor(_bound.PresentSources.Select(i => _bound.InputSchema[i]))
            : null;
        return new BatchedRowCursor(_bound, main, ahead, activeOutputs);
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        new[] { GetRowCursor(columnsNeeded, rand) };
}
