using Microsoft.ML;

namespace MLNet.Transfer.MLNetIntegration;

/// <summary>
/// What a component's save callback writes to: its main stream (<see cref="Writer"/>, for small header data) and
/// any number of named binary streams (<see cref="WriteStream"/>, for large payloads such as weights), all inside
/// the model zip. Only valid during <see cref="ModelPersistence.Save{T}"/>.
/// </summary>
public sealed class PersistedModelWriter
{
    private readonly ModelSaveContext _ctx;
    private readonly string? _directory;
    private bool _completed;

    internal PersistedModelWriter(ModelSaveContext ctx, BinaryWriter writer, string? directory, PersistedModelInfo info)
    {
        _ctx = ctx;
        Writer = writer;
        _directory = directory;
        Info = info;
    }

    /// <summary>The component's main stream; read back in the same order by <see cref="PersistedModelReader.Reader"/>.</summary>
    public BinaryWriter Writer { get; }

    /// <summary>The info of the component being saved.</summary>
    public PersistedModelInfo Info { get; }

    internal StreamTable Streams { get; } = new();

    /// <summary>
    /// Writes a named binary stream beside the main stream, inside the model zip (entry <c>&lt;component directory&gt;/&lt;name&gt;</c>).
    /// ML.NET stages each entry in a temporary file and deflates it into the zip, so payloads of any size are
    /// streamed, never held in memory. The stream passed to <paramref name="write"/> is seekable; do not keep it.
    /// Its length and SHA-256 are recorded in the main stream and verified on load.
    /// </summary>
    /// <param name="name">1–100 letters, digits, '.', '_' or '-', unique within the component (case-insensitive), e.g. <c>"Weights.bin"</c>.</param>
    /// <param name="write">Writes the payload.</param>
    public void WriteStream(string name, Action<Stream> write)
    {
        StreamTable.ValidateName(name);
        ArgumentNullException.ThrowIfNull(write);
        if (_completed)
            throw new InvalidOperationException("Streams can only be written inside the ModelPersistence.Save callback.");
        if (Streams.Find(name) is not null)
            throw new ArgumentException($"A stream named '{name}' was already written (names are compared case-insensitively).", nameof(name));

        Writer.Flush();
        StreamTable.Entry? entry = null;
        MlNetInternals.SaveBinaryStream(_ctx, name, binaryWriter =>
        {
            Stream stream = binaryWriter.BaseStream;
            using (var view = new NonClosingStream(stream, readOnly: false))
                write(view);
            stream.Flush();
            (long length, byte[] hash) = StreamTable.Measure(stream);
            entry = new StreamTable.Entry(name, length, hash);
        });
        Streams.Add(entry!);
    }

    /// <summary>The zip entry path of a stream, for messages.</summary>
    internal string EntryPath(string name) => ModelPersistence.EntryPath(_directory, name);

    internal void Complete() => _completed = true;
}
