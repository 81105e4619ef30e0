using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transfer.MLNetIntegration;

namespace MLNet.Transfer.Tests.MLNetIntegration;

/// <summary>What a user sees when loading goes wrong.</summary>
[Category("Unit")]
public class ModelLoadFailureTests
{
    private static Exception LoadFails(string path) => Assert.Catch(() => ScaleModelFiles.Load(path))!;

    [Test]
    public void LoadingWithoutRegisterFailsWithMlNetsMessageAndRegisteringThenWorks()
    {
        using var temp = new TempDirectory();
        var trainContext = new MLContext(seed: 1);
        IDataView data = trainContext.Data.LoadFromEnumerable(SyntheticData.Rows(50));
        string path = temp.File("chain.zip");
        trainContext.Model.Save(SyntheticData.TrainChain(trainContext, data, new ScaleTransformer("X", "Scaled", SyntheticData.Factors)), data.Schema, path);
        var mlContext = new MLContext(seed: 2);

        Exception error = Assert.Catch(() => mlContext.Model.Load(path, out _))!;
        // ML.NET's own message, wrapped by ML.NET ("Error during class instantiation"): no MLNet.Transfer code runs
        // during this load, so it cannot say more (see TransferComponents remarks).
        Assert.That(error.Chain().Select(e => e.Message), Has.Some.EqualTo("Couldn't load model: 'TransformerChain/Transform_000'"));

        TransferComponents.Register(mlContext, typeof(ScaleTransformer).Assembly);
        Assert.That(((TransformerChain<ITransformer>)mlContext.Model.Load(path, out _)).First(), Is.TypeOf<ScaleTransformer>());
    }

    [Test]
    public void TruncatedPayloadFailsNamingTheZipEntry()
    {
        using var temp = new TempDirectory();
        string path = ScaleModelFiles.Save(temp);
        string entry = ZipEdit.Rewrite(path, ScaleTransformer.FactorsStream, bytes => bytes[..^6]);

        Exception error = LoadFails(path);

        FormatException format = error.Chain().OfType<FormatException>().First();
        Assert.That(format.Message, Does.Contain($"'{entry.Replace('\\', '/')}'"));
        Assert.That(format.Message, Does.Contain("truncated: 22 bytes, 28 were saved"));
        Assert.That(format.Message, Does.Contain("MLNetTransferTestScale"));
    }

    [Test]
    public void AlteredPayloadFailsWithAChecksumErrorNamingTheZipEntry()
    {
        using var temp = new TempDirectory();
        string path = ScaleModelFiles.Save(temp);
        string entry = ZipEdit.Rewrite(path, ScaleTransformer.FactorsStream, bytes => { bytes[5] ^= 0x40; return bytes; });

        FormatException format = LoadFails(path).Chain().OfType<FormatException>().First();

        Assert.That(format.Message, Does.Contain($"'{entry.Replace('\\', '/')}'").And.Contain("SHA-256 mismatch"));
    }

    [Test]
    public void MissingPayloadEntryFailsNamingIt()
    {
        using var temp = new TempDirectory();
        string path = ScaleModelFiles.Save(temp);
        string entry = ZipEdit.Rewrite(path, ScaleTransformer.FactorsStream, _ => null);

        FormatException format = LoadFails(path).Chain().OfType<FormatException>().First();

        Assert.That(format.Message, Does.Contain($"'{entry.Replace('\\', '/')}'").And.Contain("missing"));
    }

    [Test]
    public void TruncatedMainStreamFailsNamingModelKey()
    {
        using var temp = new TempDirectory();
        string path = ScaleModelFiles.Save(temp);
        ZipEdit.Rewrite(path, "Model.key", bytes => bytes[..^40]);

        Exception error = LoadFails(path);

        Assert.That(error.Chain().OfType<FormatException>(), Is.Not.Empty, error.ToString());
    }

    [Test]
    public void LoadThatReadsLessThanSaveWroteIsReported()
    {
        using var temp = new TempDirectory();
        var mlContext = new MLContext(seed: 1);
        IDataView data = mlContext.Data.LoadFromEnumerable(SyntheticData.Rows(3));
        string path = temp.File("mismatch.zip");
        mlContext.Model.Save(new MismatchedTransformer(), data.Schema, path);

        FormatException format = LoadFails(path).Chain().OfType<FormatException>().First();

        Assert.That(format.Message, Is.EqualTo("MismatchedTransformer.Load read 4 bytes of the 8 its Save wrote to 'TransformerChain/Model.key': Save and Load disagree."));
    }

    [Test]
    public void ShimNamesTheFirstMissingMemberWhenMicrosoftMlDiffers()
    {
        var error = Assert.Throws<NotSupportedException>(() => MlNetInternals.Members.Resolve(typeof(object).Assembly))!;

        Assert.That(error.Message, Does.StartWith("MLNet.Transfer supports Microsoft.ML 6.x (tested with 6.0.0; the package accepts [6.0.0, 7.0.0)); this version's internals differ"));
        Assert.That(error.Message, Does.Contain("type Microsoft.ML.ModelSaveContext not found"));
    }

    [Test]
    public void ShimResolvesEveryMemberOfThisMicrosoftMl()
    {
        MlNetInternals.Members members = MlNetInternals.Current;

        Assert.That(members.LoadContextType.FullName, Is.EqualTo("Microsoft.ML.ModelLoadContext"));
        Assert.That(members.SignatureLoadModel.FullName, Is.EqualTo("Microsoft.ML.SignatureLoadModel"));
    }
}
