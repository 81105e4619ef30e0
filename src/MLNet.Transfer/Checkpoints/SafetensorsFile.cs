using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using static TorchSharp.torch;

namespace MLNet.Transfer.Checkpoints;

/// <summary>
/// A safetensors file kept open and read on demand, without TorchSharp: tensor names, shapes and float32 data for an ONNX
/// export, or all tensors at once for a TorchSharp module. Either a model directory's file (opened for reading, sharing
/// writes and deletes: the bytes read later are those of the file as opened, and a file changed in place since is refused)
/// or a private temporary copy of a stream (e.g. a model zip's entry), deleted from the disk as soon as it is written.
/// Thread-safe (positional reads). Disposing closes the file.
/// </summary>
internal sealed class SafetensorsFile : IDisposable
{
    private readonly SafeFileHandle _handle;
    private readonly Dictionary<string, Safetensors.Entry> _entries;
    private readonly long _dataStart;
    private readonly (long Length, DateTime Written) _identity;

    private SafetensorsFile(SafeFileHandle handle, string source)
    {
        _handle = handle;
        Source = source;
        _identity = Identity();
        using var stream = View();
        var (entries, dataLength) = Safetensors.ReadLayout(stream, source);
        _dataStart = stream.Position;
        var bad = entries.FirstOrDefault(e => e.End > dataLength);
        if (bad is not null)
            throw new InvalidDataException($"{source}: tensor '{bad.Name}' ends at byte {bad.End} but the data section has {dataLength} bytes (truncated file?).");
        _entries = entries.ToDictionary(e => e.Name, StringComparer.Ordinal);
    }

    /// <summary>Opens the safetensors file at <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">Its header is corrupt or a tensor lies beyond the end of the file.</exception>
    public static SafetensorsFile Open(string path)
    {
        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        try { return new SafetensorsFile(handle, path); }
        catch { handle.Dispose(); throw; }
    }

    /// <summary>Copies <paramref name="stream"/> (a safetensors payload) to a private temporary file and opens it.</summary>
    public static SafetensorsFile Spool(Stream stream, string source)
    {
        string path = Path.Combine(Path.GetTempPath(), $"mlnet-transfer-{Guid.NewGuid():N}.safetensors");
        var handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete,
                                     OperatingSystem.IsWindows() ? FileOptions.DeleteOnClose : FileOptions.None);
        try
        {
            if (!OperatingSystem.IsWindows()) File.Delete(path); // the open handle keeps the data; nothing is left behind, even after a crash
            using (var target = new FileStream(new SafeFileHandle(handle.DangerousGetHandle(), ownsHandle: false), FileAccess.ReadWrite))
                stream.CopyTo(target, 1 << 20);
            return new SafetensorsFile(handle, source);
        }
        catch
        {
            handle.Dispose();
            if (File.Exists(path)) File.Delete(path);
            throw;
        }
    }

    /// <summary>The file or stream name, for error messages.</summary>
    public string Source { get; }

    /// <summary>Whether the file holds tensor <paramref name="name"/>.</summary>
    public bool Contains(string name) => _entries.ContainsKey(name);

    /// <summary>Every tensor name.</summary>
    public IEnumerable<string> Names => _entries.Keys;

    /// <summary>The shape of tensor <paramref name="name"/>.</summary>
    public long[] Shape(string name) => Find(name).Shape;

    /// <summary>Whether tensor <paramref name="name"/> holds floating-point values (which are read as float32).</summary>
    public bool IsFloatingPoint(string name) => Find(name).DTypeName is "F32" or "F16" or "BF16" or "F64";

    /// <summary>
    /// The values of floating-point tensor <paramref name="name"/> as little-endian float32 bytes (row-major), converted from
    /// F16, BF16 or F64 exactly as TorchSharp's <c>to(float32)</c> does (round to nearest even for F64).
    /// </summary>
    public byte[] ReadFloat32(string name)
    {
        var entry = Find(name);
        CheckUnchanged();
        var raw = new byte[entry.End - entry.Begin];
        if (RandomAccess.Read(_handle, raw, _dataStart + entry.Begin) < raw.Length) throw new InvalidDataException($"{Source}: tensor '{name}' is truncated.");
        if (entry.DTypeName == "F32") return BitConverter.IsLittleEndian ? raw : Swap(raw);
        long count = entry.Shape.Aggregate(1L, (p, d) => p * d);
        var result = new float[count];
        for (long i = 0; i < count; i++)
        {
            result[i] = entry.DTypeName switch
            {
                "F16" => (float)BinaryPrimitives.ReadHalfLittleEndian(raw.AsSpan((int)(i * 2))),
                "BF16" => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(raw.AsSpan((int)(i * 2))) << 16),
                "F64" => (float)BinaryPrimitives.ReadDoubleLittleEndian(raw.AsSpan((int)(i * 8))),
                _ => throw new InvalidDataException($"{Source}: tensor '{name}' has dtype {entry.DTypeName}, not a floating-point type."),
            };
        }
        return MemoryMarshal.AsBytes(result.AsSpan()).ToArray();
    }

    /// <summary>
    /// Writes the values of floating-point tensor <paramref name="name"/> to <paramref name="stream"/> as little-endian
    /// float32 bytes (see <see cref="ReadFloat32"/>); float32 data is copied in chunks, never held whole.
    /// </summary>
    public void CopyFloat32(string name, Stream stream)
    {
        var entry = Find(name);
        if (entry.DTypeName != "F32" || !BitConverter.IsLittleEndian)
        {
            stream.Write(ReadFloat32(name));
            return;
        }
        CheckUnchanged();
        var buffer = new byte[Math.Min(entry.End - entry.Begin, 1 << 20)];
        for (long at = entry.Begin; at < entry.End;)
        {
            int read = RandomAccess.Read(_handle, buffer.AsSpan(0, (int)Math.Min(buffer.Length, entry.End - at)), _dataStart + at);
            if (read == 0) throw new InvalidDataException($"{Source}: tensor '{name}' is truncated.");
            stream.Write(buffer, 0, read);
            at += read;
        }
    }

    /// <summary>Every tensor as a TorchSharp CPU tensor (floating ones as float32), as <see cref="Safetensors.Load(Stream, string)"/> reads them; the caller owns them.</summary>
    public Dictionary<string, Tensor> LoadTensors()
    {
        CheckUnchanged();
        using var stream = View();
        return Safetensors.Load(stream, Source);
    }

    /// <summary>A read-only stream over the whole file that leaves the handle open.</summary>
    private FileStream View() => new(new SafeFileHandle(_handle.DangerousGetHandle(), ownsHandle: false), FileAccess.Read, 1 << 16) { Position = 0 };

    private Safetensors.Entry Find(string name) => _entries.TryGetValue(name, out var entry) ? entry
        : throw new InvalidOperationException($"{Source} has no tensor '{name}'.");

    private (long, DateTime) Identity() => (RandomAccess.GetLength(_handle), File.GetLastWriteTimeUtc(_handle));

    private void CheckUnchanged()
    {
        if (Identity() != _identity)
            throw new InvalidOperationException($"{Source} changed after the model was loaded from it, and its weights are read only when first needed; load the model again.");
    }

    private static byte[] Swap(byte[] raw)
    {
        for (int i = 0; i + 3 < raw.Length; i += 4) Array.Reverse(raw, i, 4);
        return raw;
    }

    /// <summary>Closes the file (a temporary copy is deleted with it).</summary>
    public void Dispose() => _handle.Dispose();
}
