using Microsoft.ML.Runtime;

namespace MLNet.Transfer.MLNetIntegration;

/// <summary>
/// What a component's <see cref="IPersistableModel{TSelf}.Load"/> reads from: the main stream written by
/// <see cref="PersistedModelWriter.Writer"/> and the named streams written by <see cref="PersistedModelWriter.WriteStream"/>.
/// Only valid during the load.
/// </summary>
public sealed class PersistedModelReader
{
    private readonly object _ctx;
    private readonly string? _directory;
    private readonly StreamTable _streams;

    internal PersistedModelReader(IHostEnvironment environment, object ctx, BinaryReader reader, string? directory,
        PersistedModelInfo info, uint versionWritten, StreamTable streams)
    {
        Environment = environment;
        _ctx = ctx;
        Reader = reader;
        _directory = directory;
        Info = info;
        VersionWritten = versionWritten;
        _streams = streams;
    }

    /// <summary>The ML.NET environment the model is being loaded into (the <c>MLContext</c>).</summary>
    public IHostEnvironment Environment { get; }

    /// <summary>The component's main stream, positioned at the first byte the save callback wrote.</summary>
    public BinaryReader Reader { get; }

    /// <summary>The info of the component type being loaded (the reader's current version).</summary>
    public PersistedModelInfo Info { get; }

    /// <summary>The <see cref="PersistedModelInfo.VersionWritten"/> of the code that saved this model.</summary>
    public uint VersionWritten { get; }

    /// <summary>Names of the streams saved with the component.</summary>
    public IReadOnlyList<string> StreamNames => _streams.Entries.Select(e => e.Name).ToList();

    /// <summary>Reads a named stream with <paramref name="read"/>; see <see cref="ReadStream{TResult}(string, Func{Stream, TResult})"/>.</summary>
    /// <param name="name">The name given to <see cref="PersistedModelWriter.WriteStream"/>.</param>
    /// <param name="read">Reads the payload.</param>
    /// <exception cref="FormatException">The stream is missing, truncated, altered, or unreadable; the message names the zip entry.</exception>
    public void ReadStream(string name, Action<Stream> read)
    {
        ArgumentNullException.ThrowIfNull(read);
        ReadStream<object?>(name, stream => { read(stream); return null; });
    }

    /// <summary>
    /// Reads a named stream. Its length and SHA-256 are checked against what was saved before
    /// <paramref name="read"/> runs; the stream is seekable, read-only and starts at offset 0 (ML.NET has extracted it
    /// to a temporary file, so it is not held in memory). Do not keep it after <paramref name="read"/> returns.
    /// </summary>
    /// <param name="name">The name given to <see cref="PersistedModelWriter.WriteStream"/>.</param>
    /// <param name="read">Reads the payload and returns the result.</param>
    /// <exception cref="FormatException">The stream is missing, truncated, altered, or <paramref name="read"/> failed
    /// with an I/O or format error; the message names the zip entry.</exception>
    public TResult ReadStream<TResult>(string name, Func<Stream, TResult> read)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(read);
        string entryPath = ModelPersistence.EntryPath(_directory, name);
        StreamTable.Entry expected = _streams.Find(name)
            ?? throw new ArgumentException($"{Info.LoaderSignature} saved no stream named '{name}' (it saved: {string.Join(", ", StreamNames)}).", nameof(name));

        TResult result = default!;
        bool found;
        try
        {
            found = MlNetInternals.TryLoadBinaryStream(_ctx, expected.Name, binaryReader =>
            {
                Stream stream = binaryReader.BaseStream;
                if (stream.Length != expected.Length)
                    throw Corrupt(entryPath, stream.Length < expected.Length
                        ? $"it is truncated: {stream.Length:N0} bytes, {expected.Length:N0} were saved"
                        : $"it has {stream.Length:N0} bytes, {expected.Length:N0} were saved");
                if (!StreamTable.Measure(stream).Sha256.AsSpan().SequenceEqual(expected.Sha256))
                    throw Corrupt(entryPath, "its content differs from what was saved (SHA-256 mismatch)");
                stream.Position = 0;
                using var view = new NonClosingStream(stream, readOnly: true);
                result = read(view);
            });
        }
        catch (Exception e) when (e is IOException or InvalidDataException or FormatException && e is not ModelFormatException)
        {
            throw Corrupt(entryPath, e.Message, e);
        }
        if (!found)
            throw Corrupt(entryPath, "the entry is missing from the zip");
        return result;
    }

    private ModelFormatException Corrupt(string entryPath, string reason, Exception? inner = null) =>
        new($"Model entry '{entryPath}' of {Info.LoaderSignature} is corrupt: {reason}.", inner);
}
