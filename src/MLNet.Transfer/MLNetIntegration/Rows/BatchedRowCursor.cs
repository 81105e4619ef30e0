using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.Transfer.MLNetIntegration;

/// <summary>
/// Cursor of <see cref="BatchedDataView"/>: <c>_main</c> moves in step and serves pass-through columns; <c>_ahead</c>
/// (present only when an added column is active) reads the next batch of input rows when the current one is used up.
/// </summary>
internal sealed class BatchedRowCursor : DataViewRowCursor
{
    private readonly BoundColumns _bound;
    private readonly DataViewRowCursor _main;
    private readonly DataViewRowCursor? _ahead;
    private readonly bool[] _activeOutputs;
    private readonly ColumnBatch? _batch;
    private readonly Action<int>[] _fillers;
    private readonly long[] _positions;
    private int _slot = -1;
    private bool _disposed;

    internal BatchedRowCursor(BoundColumns bound, DataViewRowCursor main, DataViewRowCursor? ahead, bool[] activeOutputs)
    {
        _bound = bound;
        _main = main;
        _ahead = ahead;
        _activeOutputs = activeOutputs;
        BatchedTransformerBase owner = bound.Owner;
        if (ahead is null)
        {
            _fillers = Array.Empty<Action<int>>();
            _positions = Array.Empty<long>();
            return;
        }
        _batch = new ColumnBatch(owner.InputColumns, owner.OutputColumns, owner.BatchSize);
        _positions = new long[owner.BatchSize];
        _fillers = bound.SourceIndices
            .Select((inputIndex, c) => inputIndex < 0 ? null : ColumnValues.CreateFiller(ahead, bound.InputSchema[inputIndex], _batch.InputArray(c)))
            .OfType<Action<int>>()
            .ToArray();
        _batch.Present = bound.Present;
    }

    public override DataViewSchema Schema => _bound.OutputSchema;

    public override long Position => _main.Position;

    public override long Batch => _main.Batch;

    public override ValueGetter<DataViewRowId> GetIdGetter() => _main.GetIdGetter();

    public override bool IsColumnActive(DataViewSchema.Column column) => _bound.IsActive(_main, _activeOutputs, column);

    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) =>
        _bound.Getter<TValue>(_main, _activeOutputs, _batch, CurrentSlot, column);

    public override bool MoveNext()
    {
        if (_disposed || !_main.MoveNext())
            return false;
        if (_ahead is null)
            return true;
        if (++_slot >= _batch!.RowCount)
            FillBatch();
        if (_positions[_slot] != _main.Position)
            throw new InvalidOperationException(
                $"The input's two cursors disagree (row {_positions[_slot]} vs {_main.Position}); the input must enumerate rows deterministically.");
        return true;
    }

    private void FillBatch()
    {
        int rows = 0;
        while (rows < _batch!.Capacity && _ahead!.MoveNext())
        {
            _positions[rows] = _ahead.Position;
            foreach (Action<int> fill in _fillers)
                fill(rows);
            rows++;
        }
        if (rows == 0)
            throw new InvalidOperationException("The input's two cursors disagree on the number of rows; the input must enumerate rows deterministically.");
        _batch.RowCount = rows;
        _bound.Owner.ComputeBatch(_batch);
        _slot = 0;
    }

    private int CurrentSlot()
    {
        if (_slot < 0 || _disposed)
            throw new InvalidOperationException("No current row: call MoveNext first.");
        return _slot;
    }

    protected override void Dispose(bool disposing)
    {
        if (_disposed)
            return;
        if (disposing)
        {
            _ahead?.Dispose();
            _main.Dispose();
        }
        _disposed = true;
        base.Dispose(disposing);
    }
}
