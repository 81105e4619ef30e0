namespace MLNet.Transfer.MLNetIntegration;

/// <summary>
/// A view of a stream owned by ML.NET's repository: everything is forwarded except closing (disposing the view
/// leaves the entry open for ML.NET), and writing is refused when <c>readOnly</c>.
/// </summary>
internal sealed class NonClosingStream : Stream
{
    private readonly Stream _inner;
    private readonly bool _readOnly;
    private bool _disposed;

    internal NonClosingStream(Stream inner, bool readOnly)
    {
        _inner = inner;
        _readOnly = readOnly;
    }

    public override bool CanRead => !_disposed && _inner.CanRead;
    public override bool CanSeek => !_disposed && _inner.CanSeek;
    public override bool CanWrite => !_disposed && !_readOnly && _inner.CanWrite;
    public override long Length => Live.Length;

    public override long Position
    {
        get => Live.Position;
        set => Live.Position = value;
    }

    private Stream Live => _disposed ? throw new ObjectDisposedException(nameof(NonClosingStream)) : _inner;

    public override void Flush() { if (!_readOnly) Live.Flush(); }
    public override int Read(byte[] buffer, int offset, int count) => Live.Read(buffer, offset, count);
    public override int Read(Span<byte> buffer) => Live.Read(buffer);
    public override long Seek(long offset, SeekOrigin origin) => Live.Seek(offset, origin);
    public override void SetLength(long value) => Writable.SetLength(value);
    public override void Write(byte[] buffer, int offset, int count) => Writable.Write(buffer, offset, count);
    public override void Write(ReadOnlySpan<byte> buffer) => Writable.Write(buffer);

    private Stream Writable => _readOnly ? throw new NotSupportedException("This model stream is read-only.") : Live;

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed && !_readOnly) _inner.Flush();
        _disposed = true;
        base.Dispose(disposing);
    }
}
