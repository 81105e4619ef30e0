using System.IO.MemoryMappedFiles;

namespace MLNet.Transfer.Checkpoints;

/// <summary>
/// One embedded default model: the ONNX graph and WordPiece vocabulary stored as resources of a
/// SentenceTransformers.* package DLL. The DLL is read as a file; the assembly is never loaded.
/// Obtain instances from <see cref="EmbeddedModelFiles.Find(string)"/>.
/// </summary>
public sealed class EmbeddedModelSource
{
    private readonly ManagedResourceLocation _onnx;
    private readonly ManagedResourceLocation _vocab;

    internal EmbeddedModelSource(string name, string huggingFaceId, string dllPath)
    {
        Name = name;
        HuggingFaceId = huggingFaceId;
        DllPath = dllPath;
        var found = ManagedResourceLocator.Locate(dllPath, ".model.onnx", ".vocab.txt");
        _onnx = found[0];
        _vocab = found[1];
    }

    /// <summary>Canonical short name, e.g. "minilm" or "arctic-xs".</summary>
    public string Name { get; }

    /// <summary>The upstream Hugging Face model id, e.g. "sentence-transformers/all-MiniLM-L6-v2".</summary>
    public string HuggingFaceId { get; }

    /// <summary>Full path of the DLL holding the resources.</summary>
    public string DllPath { get; }

    /// <summary>Size of the embedded model.onnx in bytes.</summary>
    public int OnnxLength => _onnx.Length;

    /// <summary>Size of the embedded vocab.txt in bytes.</summary>
    public int VocabLength => _vocab.Length;

    /// <summary>Reads the whole ONNX model into a new array (one positioned read, no intermediate copies).</summary>
    public byte[] ReadOnnx() => ReadAll(_onnx);

    /// <summary>Reads the vocabulary file (one WordPiece token per line, UTF-8) into a new array.</summary>
    public byte[] ReadVocab() => ReadAll(_vocab);

    /// <summary>Opens a read-only, memory-mapped stream over the embedded ONNX model. The caller disposes it.</summary>
    public Stream OpenOnnx() => OpenMapped(_onnx);

    /// <summary>
    /// Opens a read-only, memory-mapped stream over the embedded vocab.txt, e.g. for
    /// <c>BertTokenizer.Create(stream, ...)</c>. The caller disposes it.
    /// </summary>
    public Stream OpenVocab() => OpenMapped(_vocab);

    /// <inheritdoc/>
    public override string ToString() => $"{Name} ({HuggingFaceId}) from {DllPath}";

    private byte[] ReadAll(ManagedResourceLocation resource)
    {
        var bytes = GC.AllocateUninitializedArray<byte>(resource.Length);
        using var handle = File.OpenHandle(DllPath);
        int total = 0;
        while (total < bytes.Length)
        {
            int read = RandomAccess.Read(handle, bytes.AsSpan(total), resource.FileOffset + total);
            if (read == 0)
                throw new InvalidDataException($"'{DllPath}' ended inside resource '{resource.Name}' (file changed since it was opened?).");
            total += read;
        }
        return bytes;
    }

    private Stream OpenMapped(ManagedResourceLocation resource)
    {
        // The view keeps the mapping alive after the MemoryMappedFile handle is closed (Windows and POSIX).
        using var map = MemoryMappedFile.CreateFromFile(DllPath, FileMode.Open, mapName: null, 0, MemoryMappedFileAccess.Read);
        return map.CreateViewStream(resource.FileOffset, resource.Length, MemoryMappedFileAccess.Read);
    }
}
