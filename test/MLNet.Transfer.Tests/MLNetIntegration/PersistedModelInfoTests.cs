using System.Buffers.Binary;
using System.Text;
using Microsoft.ML;
using MLNet.Transfer.MLNetIntegration;

namespace MLNet.Transfer.Tests.MLNetIntegration;

[Category("Unit")]
public class PersistedModelInfoTests
{
    /// <summary>Overwrites the two uint versions that follow the model signature in ML.NET's Model.key header.</summary>
    private static void PatchVersions(string path, uint? written = null, uint? readable = null) => ZipEdit.Rewrite(path, "Model.key", bytes =>
    {
        int at = bytes.AsSpan().IndexOf(Encoding.ASCII.GetBytes(ScaleTransformer.ModelInfo.ModelSignature)) + 8;
        if (written is { } w) BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at), w);
        if (readable is { } r) BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at + 4), r);
        return bytes;
    });

    [Test]
    public void SaveWritesTheSignatureAndVersionsIntoTheModelHeader()
    {
        using var temp = new TempDirectory();
        string path = ScaleModelFiles.Save(temp);
        byte[] header = [];
        ZipEdit.Rewrite(path, "Model.key", bytes => header = bytes);

        int at = header.AsSpan().IndexOf(Encoding.ASCII.GetBytes("MLNTSCAL"));
        Assert.That(at, Is.GreaterThanOrEqualTo(0), "model signature in Model.key");
        Assert.That((BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(at + 8)), BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(at + 12))),
            Is.EqualTo((3u, 2u)), "versionWritten, versionReadable");
        string text = Encoding.ASCII.GetString(header) + Encoding.Unicode.GetString(header) + Encoding.Unicode.GetString(header, 1, header.Length - 1);
        Assert.That(text, Does.Contain("MLNetTransferTestScale"), "loader signature in the header");
        Assert.That(ScaleModelFiles.Load(path), Is.TypeOf<ScaleTransformer>());
    }

    [TestCase(5u, 3u, null)]        // a newer writer whose files a reader that writes 3 (ours) can still read
    [TestCase(5u, 4u, "too new")]   // needs a reader that writes at least 4; ours writes 3
    [TestCase(1u, 1u, null)]        // an old file we can still read back (down to 1)
    [TestCase(0u, 0u, "too old")]   // older than we can read back
    public void LoadHonoursTheVersionRules(uint written, uint readable, string? refusal)
    {
        using var temp = new TempDirectory();
        string path = ScaleModelFiles.Save(temp);
        PatchVersions(path, written, readable);

        if (refusal is null)
            Assert.That(ScaleModelFiles.Load(path), Is.TypeOf<ScaleTransformer>());
        else
            Assert.That(Assert.Catch(() => ScaleModelFiles.Load(path))!.Chain().Select(e => e.Message), Has.Some.Contain($"because the model is {refusal}"));
    }

    [TestCase("SEVEN77", "Loader")]
    [TestCase("NINE99999", "Loader")]
    [TestCase("EIGHT\u00e988", "Loader")]
    [TestCase("EIGHT888", "")]
    [TestCase("EIGHT888", "has space")]
    [TestCase("EIGHT888", "ThisLoaderSignatureIsTooLong")]
    public void InvalidSignaturesAreRejected(string modelSignature, string loaderSignature)
    {
        Assert.Throws<ArgumentException>(() => _ = new PersistedModelInfo(modelSignature, loaderSignature, 1));
    }

    [Test]
    public void InconsistentVersionsAreRejected()
    {
        Assert.Throws<ArgumentException>(() => _ = new PersistedModelInfo("EIGHT888", "Loader", 1, 2, 1));
        Assert.Throws<ArgumentException>(() => _ = new PersistedModelInfo("EIGHT888", "Loader", 1, 1, 2));
    }
}
