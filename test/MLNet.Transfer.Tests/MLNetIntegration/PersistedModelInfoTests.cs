using System.Buffers.Binary;
using System.Text;
using Microsoft.ML;
using MLNet.Transfer.MLNetIntegration;

namespace MLNet.Transfer.Tests.MLNetIntegration;

[Category("Unit")]
public class PersistedModelInfoTests
{
    /// <summary>Saves a <see cref="ScaleTransformer"/> (info MLNTSCAL, written 3, readable by 2+, reads back to 1) and returns its zip.</summary>
    private static string SaveScale(TempDirectory temp)
    {
        var mlContext = new MLContext(seed: 1);
        IDataView data = mlContext.Data.LoadFromEnumerable(SyntheticData.Rows(10));
        string path = temp.File("scale.zip");
        mlContext.Model.Save(new ScaleTransformer("X", "Scaled", SyntheticData.Factors), data.Schema, path);
        return path;
    }

    private static ITransformer Load(string path)
    {
        var mlContext = new MLContext(seed: 2);
        TransferComponents.Register(mlContext, typeof(ScaleTransformer).Assembly);
        return mlContext.Model.Load(path, out _);
    }

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
        string path = SaveScale(temp);
        byte[] header = [];
        ZipEdit.Rewrite(path, "Model.key", bytes => header = bytes);

        int at = header.AsSpan().IndexOf(Encoding.ASCII.GetBytes("MLNTSCAL"));
        Assert.That(at, Is.GreaterThanOrEqualTo(0), "model signature in Model.key");
        Assert.That((BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(at + 8)), BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(at + 12))),
            Is.EqualTo((3u, 2u)), "versionWritten, versionReadable");
        string text = Encoding.ASCII.GetString(header) + Encoding.Unicode.GetString(header) + Encoding.Unicode.GetString(header, 1, header.Length - 1);
        Assert.That(text, Does.Contain("MLNetTransferTestScale"), "loader signature in the header");
        Assert.That(Load(path), Is.TypeOf<ScaleTransformer>());
    }

    [TestCase(5u, 3u, null)]        // a newer writer whose files a reader that writes 3 (ours) can still read
    [TestCase(5u, 4u, "too new")]   // needs a reader that writes at least 4; ours writes 3
    [TestCase(1u, 1u, null)]        // an old file we can still read back (down to 1)
    [TestCase(0u, 0u, "too old")]   // older than we can read back
    public void LoadHonoursTheVersionRules(uint written, uint readable, string? refusal)
    {
        using var temp = new TempDirectory();
        string path = SaveScale(temp);
        PatchVersions(path, written, readable);

        if (refusal is null)
            Assert.That(Load(path), Is.TypeOf<ScaleTransformer>());
        else
            Assert.That(Assert.Catch(() => Load(path))!.Chain().Select(e => e.Message), Has.Some.Contain($"because the model is {refusal}"));
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
