namespace MLNet.Transfer.MLNetIntegration;

/// <summary>
/// The identity and version of one persisted component type, as ML.NET records it in the header of the component's
/// <c>Model.key</c> entry inside the model zip. Each component type declares one, through
/// <see cref="IPersistableModel{TSelf}.ModelInfo"/>.
/// </summary>
/// <remarks>
/// Version rules (ML.NET's): a reader whose <see cref="VersionWritten"/> is lower than a file's
/// <see cref="VersionReadable"/> refuses it as "too new"; a reader refuses files written before its
/// <see cref="VersionWeCanReadBack"/> as "too old". The version a file was written with is available to
/// <see cref="IPersistableModel{TSelf}.Load"/> as <see cref="PersistedModelReader.VersionWritten"/>.
/// </remarks>
public sealed class PersistedModelInfo
{
    /// <summary>Longest loader signature ML.NET's model header can hold.</summary>
    public const int MaxLoaderSignatureLength = 24;

    /// <summary>Creates the info of a component whose current format is <paramref name="version"/> and reads only that.</summary>
    /// <param name="modelSignature">Exactly 8 printable ASCII characters identifying the file format, e.g. <c>"MLNTSCAL"</c>.</param>
    /// <param name="loaderSignature">1–24 printable ASCII characters (no spaces), unique among all ML.NET components
    /// (compared case-insensitively): the name under which the component's loader is registered, e.g. <c>"MLNetTransferScale"</c>.</param>
    /// <param name="version">The format version written; also the oldest reader version and oldest file version accepted.</param>
    public PersistedModelInfo(string modelSignature, string loaderSignature, uint version)
        : this(modelSignature, loaderSignature, version, version, version)
    {
    }

    /// <summary>Creates the info with ML.NET's three version numbers.</summary>
    /// <param name="modelSignature">Exactly 8 printable ASCII characters identifying the file format.</param>
    /// <param name="loaderSignature">1–24 printable ASCII characters (no spaces), unique among ML.NET components.</param>
    /// <param name="versionWritten">The format version this code writes (ML.NET: <c>verWrittenCur</c>).</param>
    /// <param name="versionReadable">The oldest reader version that can read what this code writes (<c>verReadableCur</c>);
    /// at most <paramref name="versionWritten"/>.</param>
    /// <param name="versionWeCanReadBack">The oldest file version this code can still read (<c>verWeCanReadBack</c>);
    /// at most <paramref name="versionWritten"/>.</param>
    /// <exception cref="ArgumentException">A signature has the wrong length or characters, or the versions are inconsistent.</exception>
    public PersistedModelInfo(string modelSignature, string loaderSignature, uint versionWritten, uint versionReadable, uint versionWeCanReadBack)
    {
        ArgumentNullException.ThrowIfNull(modelSignature);
        ArgumentNullException.ThrowIfNull(loaderSignature);
        if (modelSignature.Length != 8 || !modelSignature.All(IsPrintableAscii))
            throw new ArgumentException($"The model signature must be exactly 8 printable ASCII characters; got '{modelSignature}'.", nameof(modelSignature));
        if (loaderSignature.Length is 0 or > MaxLoaderSignatureLength || !loaderSignature.All(c => IsPrintableAscii(c) && c != ' '))
            throw new ArgumentException(
                $"The loader signature must be 1–{MaxLoaderSignatureLength} printable ASCII characters without spaces; got '{loaderSignature}'.",
                nameof(loaderSignature));
        if (versionReadable > versionWritten)
            throw new ArgumentException($"versionReadable ({versionReadable}) must not exceed versionWritten ({versionWritten}).", nameof(versionReadable));
        if (versionWeCanReadBack > versionWritten)
            throw new ArgumentException($"versionWeCanReadBack ({versionWeCanReadBack}) must not exceed versionWritten ({versionWritten}).", nameof(versionWeCanReadBack));

        ModelSignature = modelSignature;
        LoaderSignature = loaderSignature;
        VersionWritten = versionWritten;
        VersionReadable = versionReadable;
        VersionWeCanReadBack = versionWeCanReadBack;
    }

    /// <summary>The 8-character file-format signature checked on load ("Unknown file type" if it differs).</summary>
    public string ModelSignature { get; }

    /// <summary>The name the component's loader is registered and found under.</summary>
    public string LoaderSignature { get; }

    /// <summary>The format version this code writes.</summary>
    public uint VersionWritten { get; }

    /// <summary>The oldest reader version that can read what this code writes.</summary>
    public uint VersionReadable { get; }

    /// <summary>The oldest file version this code can read.</summary>
    public uint VersionWeCanReadBack { get; }

    /// <inheritdoc />
    public override string ToString() => $"{LoaderSignature} ({ModelSignature} v{VersionWritten})";

    private static bool IsPrintableAscii(char c) => c is >= ' ' and <= '~';
}
