using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace MLNet.Transfer.MLNetIntegration;

/// <summary>
/// The list of named binary streams a component saved beside its main stream, with each stream's length and
/// SHA-256. It is written at the end of the main stream, so a missing, truncated or altered entry is reported by
/// name before any of it is parsed (the zip's own CRC is not checked by .NET's ZipArchive when reading).
/// </summary>
internal sealed partial class StreamTable
{
    private readonly List<Entry> _entries = new();

    /// <summary>One saved stream.</summary>
    internal sealed record Entry(string Name, long Length, byte[] Sha256);

    internal IReadOnlyList<Entry> Entries => _entries;

    internal Entry? Find(string name) => _entries.Find(e => string.Equals(e.Name, name, StringComparison.OrdinalIgnoreCase));

    internal void Add(Entry entry)
    {
        if (Find(entry.Name) is not null)
            throw new InvalidOperationException($"A stream named '{entry.Name}' was already written (names are compared case-insensitively).");
        _entries.Add(entry);
    }

    /// <summary>Throws unless <paramref name="name"/> is a valid stream name: letters, digits, '.', '_', '-', at most 100 characters.</summary>
    internal static void ValidateName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!NamePattern().IsMatch(name))
            throw new ArgumentException(
                $"Stream name '{name}' is invalid: use 1–100 letters, digits, '.', '_' or '-', starting with a letter or digit.", nameof(name));
        if (name.Equals("Model.key", StringComparison.OrdinalIgnoreCase) || name.Equals("Model.bin", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"Stream name '{name}' is reserved by ML.NET.", nameof(name));
    }

    /// <summary>Length and SHA-256 of a whole seekable stream, leaving it positioned at its end.</summary>
    internal static (long Length, byte[] Sha256) Measure(Stream stream)
    {
        stream.Position = 0;
        byte[] hash = SHA256.HashData(stream);
        return (stream.Length, hash);
    }

    internal void WriteTo(BinaryWriter writer)
    {
        writer.Write(_entries.Count);
        foreach (Entry e in _entries)
        {
            writer.Write(e.Name);
            writer.Write(e.Length);
            writer.Write(e.Sha256);
        }
    }

    internal static StreamTable ReadFrom(BinaryReader reader)
    {
        var table = new StreamTable();
        int count = reader.ReadInt32();
        if (count < 0 || count > 100_000)
            throw new FormatException($"Stream table count {count} is out of range.");
        for (int i = 0; i < count; i++)
        {
            string name = reader.ReadString();
            long length = reader.ReadInt64();
            byte[] hash = reader.ReadBytes(32);
            if (length < 0 || hash.Length != 32)
                throw new FormatException($"Stream table entry '{name}' is corrupt.");
            table.Add(new Entry(name, length, hash));
        }
        return table;
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")]
    private static partial Regex NamePattern();
}
