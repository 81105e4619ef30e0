using MLNet.Transfer.MLNetIntegration;

namespace MLNet.Transfer.Tests.MLNetIntegration;

[Category("Unit")]
public class PersistedModelInfoTests
{
    [Test]
    public void ValidInfoKeepsItsValues()
    {
        var info = new PersistedModelInfo("MLNTABCD", "MLNetTransferAbcd", 3, 2, 1);

        Assert.That((info.ModelSignature, info.LoaderSignature, info.VersionWritten, info.VersionReadable, info.VersionWeCanReadBack),
            Is.EqualTo(("MLNTABCD", "MLNetTransferAbcd", 3u, 2u, 1u)));
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
