using MLNet.Transfer.Onnx;
using MLNet.Transfer.Checkpoints.OnnxImport;
using System.Text;

namespace MLNet.Transfer.Onnx;

/// <summary>
/// A protobuf message under construction: an ordered list of fields that knows its encoded size, so nested
/// messages are written straight to a stream with their length prefixes and large byte fields (tensor data) are
/// never copied into intermediate buffers. The writing counterpart of <see cref="ProtoWireReader"/>. Repeated
/// scalars are written unpacked, as proto2 (the ONNX schema) does by default.
/// </summary>
internal sealed class ProtoMessage
{
    private readonly record struct Field(int Number, int WireType, ulong Scalar, ReadOnlyMemory<byte> Bytes, ProtoMessage? Message,
                                         long DeferredLength = 0, Action<Stream>? WriteDeferred = null);

    private readonly List<Field> _fields = [];
    private long _size = -1;

    /// <summary>Adds a varint field (int32/int64/enum/bool); negative values take ten bytes, as in protobuf.</summary>
    public ProtoMessage Varint(int number, long value) => Add(new Field(number, ProtoWireReader.Varint, (ulong)value, default, null));

    /// <summary>Adds one varint per value, each with its own key (unpacked repeated field).</summary>
    public ProtoMessage Varints(int number, IEnumerable<long> values)
    {
        foreach (long value in values) Varint(number, value);
        return this;
    }

    /// <summary>Adds a 4-byte float field.</summary>
    public ProtoMessage Float(int number, float value) =>
        Add(new Field(number, ProtoWireReader.Fixed32, BitConverter.SingleToUInt32Bits(value), default, null));

    /// <summary>Adds a UTF-8 string field.</summary>
    public ProtoMessage String(int number, string value) => Bytes(number, Encoding.UTF8.GetBytes(value));

    /// <summary>Adds a bytes field; <paramref name="value"/> is referenced, not copied, until the message is written.</summary>
    public ProtoMessage Bytes(int number, ReadOnlyMemory<byte> value) =>
        Add(new Field(number, ProtoWireReader.LengthDelimited, 0, value, null));

    /// <summary>
    /// Adds a bytes field of <paramref name="length"/> bytes that <paramref name="write"/> produces only when the message is
    /// written (e.g. tensor data streamed from a weight file, never held in memory as a whole model's worth of arrays).
    /// </summary>
    public ProtoMessage Bytes(int number, long length, Action<Stream> write) =>
        Add(new Field(number, ProtoWireReader.LengthDelimited, 0, default, null, length, write));

    /// <summary>Adds an embedded message field.</summary>
    public ProtoMessage Message(int number, ProtoMessage value) =>
        Add(new Field(number, ProtoWireReader.LengthDelimited, 0, default, value));

    /// <summary>Encoded size in bytes (without any length prefix of its own). Fields added later are counted again.</summary>
    public long Size
    {
        get
        {
            if (_size >= 0) return _size;
            long size = 0;
            foreach (var entry in _fields)
            {
                size += VarintSize((ulong)entry.Number << 3);
                size += entry.WireType switch
                {
                    ProtoWireReader.Varint => VarintSize(entry.Scalar),
                    ProtoWireReader.Fixed32 => 4,
                    _ => LengthDelimitedSize(entry),
                };
            }
            return _size = size;
        }
    }

    /// <summary>Writes the message (no length prefix) to <paramref name="stream"/>.</summary>
    public void WriteTo(Stream stream)
    {
        Span<byte> scratch = stackalloc byte[10];
        foreach (var field in _fields)
        {
            WriteVarint(stream, (ulong)field.Number << 3 | (uint)field.WireType, scratch);
            switch (field.WireType)
            {
                case ProtoWireReader.Varint:
                    WriteVarint(stream, field.Scalar, scratch);
                    break;
                case ProtoWireReader.Fixed32:
                    System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(scratch, (uint)field.Scalar);
                    stream.Write(scratch[..4]);
                    break;
                default:
                    if (field.Message is { } message)
                    {
                        WriteVarint(stream, (ulong)message.Size, scratch);
                        message.WriteTo(stream);
                    }
                    else if (field.WriteDeferred is { } write)
                    {
                        WriteVarint(stream, (ulong)field.DeferredLength, scratch);
                        long start = stream.CanSeek ? stream.Position : -1;
                        write(stream);
                        if (start >= 0 && stream.Position - start != field.DeferredLength)
                            throw new InvalidOperationException($"Field {field.Number}: wrote {stream.Position - start} bytes, declared {field.DeferredLength}.");
                    }
                    else
                    {
                        WriteVarint(stream, (ulong)field.Bytes.Length, scratch);
                        stream.Write(field.Bytes.Span);
                    }
                    break;
            }
        }
    }

    private ProtoMessage Add(Field field)
    {
        if (field.Number <= 0) throw new ArgumentOutOfRangeException(nameof(field), field.Number, "Protobuf field numbers start at 1.");
        _fields.Add(field);
        _size = -1;
        return this;
    }

    private static long LengthDelimitedSize(Field field)
    {
        long length = field.Message?.Size ?? (field.WriteDeferred is not null ? field.DeferredLength : field.Bytes.Length);
        return VarintSize((ulong)length) + length;
    }

    /// <summary>Bytes taken by <paramref name="value"/> as a base-128 varint.</summary>
    public static int VarintSize(ulong value)
    {
        int size = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            size++;
        }
        return size;
    }

    private static void WriteVarint(Stream stream, ulong value, Span<byte> scratch)
    {
        int count = 0;
        while (value >= 0x80)
        {
            scratch[count++] = (byte)(value | 0x80);
            value >>= 7;
        }
        scratch[count++] = (byte)value;
        stream.Write(scratch[..count]);
    }
}
