using MLNet.Transfer.Runtime;

namespace MLNet.Transfer.Tests.Runtime;

/// <summary>
/// The check before anything needs LibTorch: an application folder without LibTorch's natives (an inference-only app) is
/// told so — what needed LibTorch and which package to add — before TorchSharp would fail or copy natives out of the NuGet
/// package folder. (That such an app embeds and predicts on ONNX Runtime and gets this error when it trains is shown by
/// the packaging test, with a real application built from the packages.)
/// </summary>
[Category("Unit")]
public class LibTorchRequirementTests
{
    [Test]
    public void AnApplicationFolderWithoutLibTorchIsMissingItAndTheMessageNamesThePurposeAndThePackages()
    {
        using var temp = TestModels.TempDir();
        string app = Path.Combine(temp.Path, "app");
        Touch(app, LibTorchNativeSetup.LibraryFile); // TorchSharp's own bridge is there (the TorchSharp package brings it); LibTorch is not

        string? reason = LibTorchRequirement.MissingReason(Path.Combine(app, "TorchSharp.dll"), app, "2.10.0", _ => false);

        Assert.That(reason, Does.Contain(app).And.Contain("libtorch.so"));
        string message = LibTorchRequirement.MissingMessage("Fine-tuning (FineTuneTransformerEstimator.Fit)", reason!);
        Assert.That(message, Does.StartWith("Fine-tuning (FineTuneTransformerEstimator.Fit) needs LibTorch"));
        Assert.That(message, Does.Contain("libtorch-cpu-linux-x64").And.Contain("libtorch-cuda-12.8-linux-x64").And.Contain("ONNX Runtime"));
    }

    [Test]
    public void LibTorchBesideTheApplicationInItsRuntimesFolderOrOnTheLibraryPathIsNotMissing()
    {
        using var temp = TestModels.TempDir();
        string flat = Path.Combine(temp.Path, "flat"), portable = Path.Combine(temp.Path, "portable"), empty = Path.Combine(temp.Path, "empty");
        Touch(flat, LibTorchNativeSetup.LibraryFile);
        Touch(flat, "libtorch.so");
        string native = Path.Combine(portable, "runtimes", "linux-x64", "native");
        Touch(native, LibTorchNativeSetup.LibraryFile);
        Touch(native, "libtorch.so");
        Directory.CreateDirectory(empty);

        Assert.That(LibTorchRequirement.MissingReason(Path.Combine(flat, "TorchSharp.dll"), flat, "2.10.0", _ => false), Is.Null);
        Assert.That(LibTorchRequirement.MissingReason(Path.Combine(portable, "TorchSharp.dll"), portable, "2.10.0", _ => false), Is.Null);
        Assert.That(LibTorchRequirement.MissingReason(Path.Combine(empty, "TorchSharp.dll"), empty, "2.10.0", name => name == "libtorch.so"), Is.Null);
        Assert.That(LibTorchRequirement.MissingReason(Path.Combine(empty, "TorchSharp.dll"), empty, "2.10.0", _ => false), Is.Not.Null);
    }

    [Test]
    public void WithLibTorchPresentEnsurePasses()
    {
        Assert.DoesNotThrow(() => LibTorchRequirement.Ensure("This test"));
        Assert.That(MLNet.Transfer.Inference.LibTorchThreads.IsLoaded(), Is.True);
    }

    private static void Touch(string directory, string file)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllBytes(Path.Combine(directory, file), []);
    }
}
