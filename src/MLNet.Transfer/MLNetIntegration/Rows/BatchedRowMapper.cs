using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.Transfer.MLNetIntegration;

/// <summary>Row-to-row mapper of a <see cref="BatchedTransformerBase"/> (used by <c>PredictionEngine</c>): batches of one row.</summary>
internal sealed class BatchedRowMapper : IRowToRowMapper
{
    private readonly BoundColumns _bound;

    internal BatchedRowMapper(BoundColumns bound) => _bound = bound;

    public DataViewSchema InputSchema => _bound.InputSchema;

    public DataViewSchema OutputSchema => _bound.OutputSchema;

    public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns)
    {
        ArgumentNullException.ThrowIfNull(dependingColumns);
        return _bound.Dependencies(dependingColumns);
    }

    public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(activeColumns);
        if (input.Schema.Count != _bound.InputSchema.Count)
            throw new ArgumentException("The input row's schema is not the schema this mapper was bound to.", nameof(input));
        return new MappedRow(_bound, input, _bound.ActiveOutputs(activeColumns));
    }

    /// <summary>Output row: pass-through columns come from the input row; added columns are computed once per input position.</summary>
    private sealed class MappedRow : DataViewRow
    {
        private readonly BoundColumns _bound;
        private readonly DataViewRow _input;
        private readonly bool[] _activeOutputs;
        private readonly ColumnBatch? _batch;
        private readonly Action<int>[] _fillers = Array.Empty<Action<int>>();
        private long _computedPosition = long.MinValue;
        private bool _disposed;

        internal MappedRow(BoundColumns bound, DataViewRow input, bool[] activeOutputs)
        {
            _bound = bound;
            _input = input;
            _activeOutputs = activeOutputs;
            if (!activeOutputs.Any(a => a))
                return;
            _batch = new ColumnBatch(bound.Owner.InputColumns, bound.Owner.OutputColumns, 1);
            _fillers = bound.SourceIndices
                .Select((inputIndex, c) => inputIndex < 0 ? null : ColumnValues.CreateFiller(input, input.Schema[inputIndex], _batch.InputArray(c)))
                .OfType<Action<int>>()
                .ToArray();
            _batch.Present = bound.Present;
        }

        public override DataViewSchema Schema => _bound.OutputSchema;

        public override long Position => _input.Position;

        public override long Batch => _input.Batch;

        public override ValueGetter<DataViewRowId> GetIdGetter() => _input.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column) => _bound.IsActive(_input, _activeOutputs, column);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) =>
            _bound.Getter<TValue>(_input, _activeOutputs, _batch, EnsureComputed, column);

        private int EnsureComputed()
        {
            long position = _input.Position;
            if (position != _computedPosition)
            {
                foreach (Action<int> fill in _fillers)
                    fill(0);
                _batch!.RowCount = 1;
                _bound.Owner.ComputeBatch(_batch);
                _computedPosition = position;
            }
            return 0;
        }

        protected override void Dispose(bool disposing)
        {
            if (_disposed)
                return;
            if (disposing)
                _input.Dispose();
            _disposed = true;
            base.Dispose(disposing);
        }
    }
}
