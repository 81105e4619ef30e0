using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace MLNet.Transfer.Checkpoints;

/// <summary>
/// Reads and writes the safetensors format (8-byte little-endian header length, JSON header, raw
/// little-endian tensor data). No code is ever executed; sizes are validated before allocating.
/// </summary>
public static class Safetensors
{
    /// <summary>Largest header accepted (real headers are kilobytes).</summary>
    public const long MaxHeaderBytes = 100L * 1024 * 1024;

    private static readonly Dictionary<string, (ScalarType Type, int Size)> DTypes = new()
    {
        ["F32"] = (ScalarType.Float32, 4), ["F16"] = (ScalarType.Float16, 2), ["BF16"] = (ScalarType.BFloat16, 2),
        ["F64"] = (ScalarType.Float64, 8), ["I64"] = (ScalarType.Int64, 8), ["I32"] = (ScalarType.Int32, 4),
        ["I16"] = (ScalarType.Int16, 2), ["I8"] = (ScalarType.Int8, 1), ["U8"] = (ScalarType.Byte, 1), ["BOOL"] = (ScalarType.Bool, 1),
    };

    /// <summary>Loads every tensor of <paramref name="path"/> onto the CPU; floating tensors are converted to float32.</summary>
    /// <exception cref="InvalidDataException">The file is truncated, corrupt or uses an unsupported dtype; the message names the file and tensor.</exception>
    public static Dictionary<string, Tensor> Load(string path)
    {
        using var stream = File.OpenRead(path);
        return Load(stream, path);
    }

    /// <summary>
    /// Loads every tensor of a safetensors stream. A stream that cannot seek is first copied to a temporary file, so
    /// that every size the header declares is checked against the bytes really there before anything is allocated.
    /// </summary>
    public static Dictionary<string, Tensor> Load(Stream stream, string source)
    {
        if (!stream.CanSeek)
        {
            using var spool = new FileStream(Path.GetTempFileName(), FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose);
            stream.CopyTo(spool);
            spool.Position = 0;
            return Load(spool, source);
        }
        var (entries, dataLength) = ReadLayout(stream, source);
        var result = new Dictionary<string, Tensor>();
        long position = 0;
        try
        {
            foreach (var entry in entries)
            {
                if (entry.End > dataLength) throw new InvalidDataException($"{source}: tensor '{entry.Name}' ends at byte {entry.End} but the data section has {dataLength} bytes (truncated file?).");
                if (entry.Begin < position) throw new InvalidDataException($"{source}: tensor '{entry.Name}' overlaps another tensor.");
                Skip(stream, entry.Begin - position, source);
                var tensor = empty(entry.Shape, entry.Type);
                if (entry.End > entry.Begin)
                {
                    try { tensor.ReadBytesFromStream(stream, 1 << 20); }
                    catch (EndOfStreamException) { tensor.Dispose(); throw new InvalidDataException($"{source}: tensor '{entry.Name}' is truncated."); }
                }
                position = entry.End;
                result[entry.Name] = tensor.is_floating_point() && tensor.dtype != ScalarType.Float32 ? Convert(tensor) : tensor;
            }
            return result;
        }
        catch
        {
            foreach (var t in result.Values) t.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Reads the header of a seekable safetensors stream positioned at its start, leaving it at the start of the data
    /// section: the tensors ordered by offset (checked against the stream's length) and the data section's length.
    /// </summary>
    internal static (List<Entry> Entries, long DataLength) ReadLayout(Stream stream, string source)
    {
        var lengthBytes = new byte[8];
        if (ReadFully(stream, lengthBytes) < 8) throw new InvalidDataException($"{source}: not a safetensors file (shorter than its 8-byte header length).");
        long headerLength = BitConverter.ToInt64(lengthBytes);
        long available = stream.Length - stream.Position;
        if (headerLength <= 0 || headerLength > MaxHeaderBytes || headerLength > available)
            throw new InvalidDataException($"{source}: invalid safetensors header length {headerLength} (file has {available} bytes after it).");
        var headerBytes = new byte[headerLength];
        if (ReadFully(stream, headerBytes) < headerLength) throw new InvalidDataException($"{source}: truncated safetensors header.");
        JsonObject header;
        try { header = JsonNode.Parse(headerBytes) as JsonObject ?? throw new InvalidDataException($"{source}: safetensors header is not a JSON object."); }
        catch (JsonException e) { throw new InvalidDataException($"{source}: safetensors header is not valid JSON ({e.Message}).", e); }

        var entries = header.Where(kv => kv.Key != "__metadata__")
            .Select(kv => Describe(kv.Key, kv.Value, source))
            .OrderBy(e => e.Begin).ToList();
        return (entries, available - headerLength);
    }

    /// <summary>Reads only the header: tensor names with dtype and shape (cheap; for validation and listing).</summary>
    public static IReadOnlyDictionary<string, (string DType, long[] Shape)> ReadHeader(string path)
    {
        using var stream = File.OpenRead(path);
        var lengthBytes = new byte[8];
        if (ReadFully(stream, lengthBytes) < 8) throw new InvalidDataException($"{path}: not a safetensors file.");
        long headerLength = BitConverter.ToInt64(lengthBytes);
        if (headerLength <= 0 || headerLength > Math.Min(MaxHeaderBytes, stream.Length - 8))
            throw new InvalidDataException($"{path}: invalid safetensors header length {headerLength}.");
        var headerBytes = new byte[headerLength];
        ReadFully(stream, headerBytes);
        var header = JsonNode.Parse(headerBytes) as JsonObject ?? throw new InvalidDataException($"{path}: header is not a JSON object.");
        return header.Where(kv => kv.Key != "__metadata__").Select(kv => Describe(kv.Key, kv.Value, path))
            .ToDictionary(e => e.Name, e => (e.DTypeName, e.Shape));
    }

    /// <summary>
    /// Writes <paramref name="tensors"/> (sorted by name) to <paramref name="path"/> atomically: a temp file
    /// in the same folder is renamed over the target only when complete.
    /// </summary>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        AtomicFile.Write(path, stream => Save(stream, tensors, metadata));
    }

    /// <summary>Writes <paramref name="tensors"/> (sorted by name) to <paramref name="path"/> atomically, as <see cref="Save(string, IReadOnlyDictionary{string, Tensor}, IReadOnlyDictionary{string, string}?)"/> does.</summary>
    internal static void Save(string path, IEnumerable<RawTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        AtomicFile.Write(path, stream => Save(stream, tensors, metadata));
    }

    /// <summary>Writes <paramref name="tensors"/> in safetensors form to <paramref name="stream"/>.</summary>
    public static void Save(Stream stream, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var cpu = new List<Tensor>(tensors.Count);
        try
        {
            var raw = new List<RawTensor>(tensors.Count);
            foreach (var (name, t) in tensors)
            {
                var c = t.detach().cpu().contiguous();
                cpu.Add(c);
                raw.Add(new RawTensor(name, DTypeName(c.dtype, name), c.shape, c.NumberOfElements * c.ElementSize, s => c.WriteBytesToStream(s, 1 << 20)));
            }
            Save(stream, raw, metadata);
        }
        finally
        {
            foreach (var c in cpu) c.Dispose();
        }
    }

    /// <summary>One tensor to write: its dtype name ("F32", …), shape, byte length and a writer of exactly that many data bytes.</summary>
    internal sealed record RawTensor(string Name, string DType, long[] Shape, long Bytes, Action<Stream> WriteData);

    /// <summary>Writes <paramref name="tensors"/> (sorted by name, data 8-byte aligned as the reference writer does) to <paramref name="stream"/>.</summary>
    internal static void Save(Stream stream, IEnumerable<RawTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var header = new JsonObject();
        if (metadata is { Count: > 0 })
            header["__metadata__"] = new JsonObject(metadata.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(kv.Value))));
        var ordered = tensors.OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
        long offset = 0;
        foreach (var t in ordered)
        {
            header[t.Name] = new JsonObject
            {
                ["dtype"] = t.DType,
                ["shape"] = new JsonArray(t.Shape.Select(d => (JsonNode?)JsonValue.Create(d)).ToArray()),
                ["data_offsets"] = new JsonArray(JsonValue.Create(offset), JsonValue.Create(offset + t.Bytes)),
            };
            offset += t.Bytes;
        }
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        int padding = (8 - json.Length % 8) % 8; // keep tensor data 8-byte aligned, as the reference writer does
        stream.Write(BitConverter.GetBytes((long)(json.Length + padding)));
        stream.Write(json);
        for (int i = 0; i < padding; i++) stream.WriteByte((byte)' ');
        foreach (var t in ordered) t.WriteData(stream);
    }

    /// <summary>One tensor of a header: name, dtype (safetensors name and TorchSharp type), shape and byte range in the data section.</summary>
    internal sealed record Entry(string Name, string DTypeName, ScalarType Type, long[] Shape, long Begin, long End);

    private static Entry Describe(string name, JsonNode? node, string source)
    {
        try
        {
            var obj = node as JsonObject ?? throw new InvalidDataException("entry is not an object");
            string dtype = obj["dtype"]!.GetValue<string>();
            if (!DTypes.TryGetValue(dtype, out var info)) throw new InvalidDataException($"unsupported dtype '{dtype}'");
            long[] shape = obj["shape"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
            var offsets = obj["data_offsets"]!.AsArray();
            long begin = offsets[0]!.GetValue<long>(), end = offsets[1]!.GetValue<long>();
            if (shape.Any(d => d < 0)) throw new InvalidDataException("negative dimension");
            long count = shape.Aggregate(1L, (p, d) => checked(p * d));
            if (begin < 0 || end < begin || end - begin != checked(count * info.Size))
                throw new InvalidDataException($"data_offsets [{begin}, {end}] do not match shape [{string.Join(", ", shape)}] of {dtype}");
            return new Entry(name, dtype, info.Type, shape, begin, end);
        }
        catch (Exception e) when (e is not InvalidDataException)
        {
            throw new InvalidDataException($"{source}: malformed header entry for tensor '{name}' ({e.Message}).", e);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{source}: tensor '{name}': {e.Message}.", e);
        }
    }

    private static string DTypeName(ScalarType type, string name) =>
        DTypes.FirstOrDefault(kv => kv.Value.Type == type).Key ?? throw new NotSupportedException($"Tensor '{name}' has dtype {type}, which safetensors writing does not support here.");

    private static Tensor Convert(Tensor t)
    {
        using (t) return t.to(ScalarType.Float32);
    }

    internal static int ReadFully(Stream stream, byte[] buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = stream.Read(buffer, total, buffer.Length - total);
            if (n == 0) break;
            total += n;
        }
        return total;
    }

    private static void Skip(Stream stream, long count, string source)
    {
        if (count == 0) return;
        if (stream.CanSeek) { stream.Seek(count, SeekOrigin.Current); return; }
        var buffer = new byte[Math.Min(count, 1 << 16)];
        while (count > 0)
        {
            int n = stream.Read(buffer, 0, (int)Math.Min(count, buffer.Length));
            if (n == 0) throw new InvalidDataException($"{source}: truncated safetensors data.");
            count -= n;
        }
    }
}
