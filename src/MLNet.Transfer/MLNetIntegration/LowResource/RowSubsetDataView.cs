using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.Transfer.MLNetIntegration;

/// <summary>A lazy view of the rows of a source view at given positions (0-based, in source order).</summary>
internal sealed class RowSubsetDataView(IDataView source, IReadOnlySet<long> positions) : IDataView
{
    public bool CanShuffle => false;

    public DataViewSchema Schema => source.Schema;

    public long? GetRowCount() => positions.Count;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) =>
        new Cursor(source.GetRowCursor(columnsNeeded), positions);

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];

    private sealed class Cursor(DataViewRowCursor inner, IReadOnlySet<long> positions) : DataViewRowCursor
    {
        private long _position = -1;

        public override DataViewSchema Schema => inner.Schema;
        public override long Position => _position;
        public override long Batch => 0;

        public override bool MoveNext()
        {
            while (inner.MoveNext())
            {
                if (!positions.Contains(inner.Position)) continue;
                _position++;
                return true;
            }
            return false;
        }

        public override ValueGetter<DataViewRowId> GetIdGetter() => inner.GetIdGetter();
        public override bool IsColumnActive(DataViewSchema.Column column) => inner.IsColumnActive(column);
        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) => inner.GetGetter<TValue>(column);

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
