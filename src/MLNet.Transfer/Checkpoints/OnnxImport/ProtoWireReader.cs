using System.Text;

namespace MLNet.Transfer.Checkpoints.OnnxImport;

/// <summary>
/// Reads the protobuf wire format from one message's byte range inside a larger buffer. Positions
/// are absolute offsets into that buffer, so large byte fields can be recorded as ranges instead of
/// copied. Every length is checked against the message's end: corrupt or truncated input gives an
/// <see cref="InvalidDataException"/> that names the message, never an index error.
/// </summary>
internal ref struct ProtoWireReader
{
    /// <summary>Wire type of varint fields (int32/int64/enum/bool).</summary>
    public const int Varint = 0;
    /// <summary>Wire type of 8-byte fields (fixed64/double).</summary>
    public const int Fixed64 = 1;
    /// <summary>Wire type of length-delimited fields (bytes/string/message/packed repeated).</summary>
    public const int LengthDelimited = 2;
    /// <summary>Wire type of 4-byte fields (fixed32/float).</summary>
    public const int Fixed32 = 5;

    private readonly ReadOnlySpan<byte> _buffer;
    private readonly int _end;
    private readonly string _message;
    private int _position;

    /// <summary>Reads the message occupying <paramref name="buffer"/>[start, start + length).</summary>
    public ProtoWireReader(ReadOnlySpan<byte> buffer, int start, int length, string message)
    {
        if (start < 0 || length < 0 || start > buffer.Length - length)
            throw new InvalidDataException($"ONNX file is truncated: {message} needs bytes {start}..{(long)start + length} but the file has {buffer.Length}.");
        _buffer = buffer;
        _position = start;
        _end = start + length;
        _message = message;
    }

    /// <summary>Absolute offset of the next unread byte.</summary>
    public readonly int Position => _position;

    /// <summary>True while unread bytes remain in the message.</summary>
    public readonly bool HasMore => _position < _end;

    /// <summary>Reads the next field key; false at the end of the message.</summary>
    public bool Next(out int field, out int wireType)
    {
        if (_position >= _end)
        {
            field = 0;
            wireType = 0;
            return false;
        }
        ulong key = ReadVarint();
        field = (int)(key >> 3);
        wireType = (int)(key & 7);
        if (field <= 0 || key >> 3 > int.MaxValue)
            throw Corrupt($"invalid field number {key >> 3}");
        return true;
    }

    /// <summary>Reads a base-128 varint (at most 10 bytes).</summary>
    public ulong ReadVarint()
    {
        ulong value = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (_position >= _end) throw Truncated("a varint");
            byte b = _buffer[_position++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return value;
        }
        throw Corrupt("a varint longer than 10 bytes");
    }

    /// <summary>Reads a length prefix and returns the absolute range of the bytes it covers, advancing past them.</summary>
    public (int Start, int Length) ReadLengthDelimited(string what)
    {
        ulong length = ReadVarint();
        if (length > (ulong)(_end - _position))
            throw new InvalidDataException(
                $"ONNX file is truncated or corrupt: {_message} field {what} at byte {_position} claims {length} bytes, only {_end - _position} remain.");
        int start = _position;
        _position += (int)length;
        return (start, (int)length);
    }

    /// <summary>Reads a length-delimited UTF-8 string.</summary>
    public string ReadString(string what)
    {
        var (start, length) = ReadLengthDelimited(what);
        return Encoding.UTF8.GetString(_buffer.Slice(start, length));
    }

    /// <summary>Returns a reader over the embedded message that follows.</summary>
    public ProtoWireReader ReadMessage(string message)
    {
        var (start, length) = ReadLengthDelimited(message);
        return new ProtoWireReader(_buffer, start, length, message);
    }

    /// <summary>Reads a 4-byte little-endian value.</summary>
    public uint ReadFixed32()
    {
        if (_end - _position < 4) throw Truncated("a fixed32");
        uint value = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(_buffer.Slice(_position, 4));
        _position += 4;
        return value;
    }

    /// <summary>Skips a field of the given wire type.</summary>
    public void Skip(int wireType)
    {
        switch (wireType)
        {
            case Varint: ReadVarint(); break;
            case Fixed64: Advance(8, "a fixed64"); break;
            case LengthDelimited: ReadLengthDelimited("(skipped)"); break;
            case Fixed32: Advance(4, "a fixed32"); break;
            default: throw Corrupt($"unsupported wire type {wireType}");
        }
    }

    /// <summary>Throws unless the field has the expected wire type.</summary>
    public readonly void Expect(int wireType, int expected, string field)
    {
        if (wireType != expected)
            throw Corrupt($"field {field} has wire type {wireType}, expected {expected}");
    }

    /// <summary>An exception describing corruption at the current position.</summary>
    public readonly InvalidDataException Corrupt(string what) =>
        new($"ONNX file is corrupt: {what} in {_message} at byte {_position}.");

    private void Advance(int count, string what)
    {
        if (_end - _position < count) throw Truncated(what);
        _position += count;
    }

    private readonly InvalidDataException Truncated(string what) =>
        new($"ONNX file is truncated or corrupt: {_message} ends (byte {_end}) inside {what} at byte {_position}.");
}
