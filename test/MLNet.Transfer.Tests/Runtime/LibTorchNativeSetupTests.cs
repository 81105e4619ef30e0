using MLNet.Transfer.Runtime;

namespace MLNet.Transfer.Tests.Runtime;

/// <summary>
/// The LibTorch GLIBCXX fix at first use (hosts that never ran the build step): it finds TorchSharp's natives in the
/// NuGet package layout a kernel loads them from, and makes a patched copy beside links to LibTorch without touching the
/// original. (That the copy then loads is shown by the notebook kernel test, in a fresh process.)
/// </summary>
[Category("Unit")]
public class LibTorchNativeSetupTests
{
    private static readonly string OriginalLibrary = Path.Combine(NuGetFolders.Packages(), "torchsharp", TorchSharpVersion(), "runtimes", "linux-x64", "native", LibTorchNativeSetup.LibraryFile);

    [Test]
    public void TheNuGetLayoutIsFoundWithTheLibTorchVersionTorchSharpAsksFor()
    {
        using var temp = TestModels.TempDir();
        string packages = Path.Combine(temp.Path, "packages");
        string torchSharp = Path.Combine(packages, "torchsharp", "0.107.0", "lib", "net8.0", "TorchSharp.dll");
        string native = Touch(packages, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", LibTorchNativeSetup.LibraryFile);
        Touch(packages, "libtorch-cpu-linux-x64", "2.9.0", "runtimes", "linux-x64", "native", "libtorch.so");
        Touch(packages, "libtorch-cpu-linux-x64", "2.10.0", "runtimes", "linux-x64", "native", "libtorch.so");
        Touch(packages, "libtorch-cpu-linux-x64", "2.11.0", "runtimes", "linux-x64", "native", "libtorch.so");

        var files = LibTorchNativeSetup.Locate(torchSharp, Path.Combine(temp.Path, "app"), "2.10.0");

        Assert.That(files, Is.Not.Null);
        Assert.That(files!.LibTorchSharp, Is.EqualTo(native));
        Assert.That(files.LibTorchDirectory, Is.EqualTo(Path.Combine(packages, "libtorch-cpu-linux-x64", "2.10.0", "runtimes", "linux-x64", "native")));
        Assert.That(LibTorchNativeSetup.Locate(torchSharp, Path.Combine(temp.Path, "app"), "2.12.0")!.LibTorchDirectory,
            Does.Contain(Path.Combine("2.11.0", "runtimes")), "without the asked version, the newest");
    }

    [Test]
    public void AnApplicationFolderWithTheNativesWinsAndAFolderWithoutLibTorchIsNotALayout()
    {
        using var temp = TestModels.TempDir();
        string app = Path.Combine(temp.Path, "app");
        string torchSharp = Path.Combine(app, "TorchSharp.dll");
        Assert.That(LibTorchNativeSetup.Locate(torchSharp, app, "2.10.0"), Is.Null, "nothing there");
        Touch(app, LibTorchNativeSetup.LibraryFile);
        Assert.That(LibTorchNativeSetup.Locate(torchSharp, app, "2.10.0"), Is.Null, "no libtorch.so beside it");
        Touch(app, "libtorch.so");
        Assert.That(LibTorchNativeSetup.Locate(torchSharp, app, "2.10.0"), Is.EqualTo(new LibTorchNativeSetup.NativeFiles(Path.Combine(app, LibTorchNativeSetup.LibraryFile), app)));
    }

    [Test]
    public void ThePatchedCopyIsWeakInTheCacheBesideLinksToLibTorchAndTheOriginalIsUntouched()
    {
        Assert.That(File.Exists(OriginalLibrary), "TorchSharp's package restored: " + OriginalLibrary);
        byte[] original = File.ReadAllBytes(OriginalLibrary);
        byte[] patched = (byte[])original.Clone();
        Assert.That(GlibcxxVersionRequirement.Weaken(patched, GlibcxxVersionRequirement.LibTorchSharpVersion), Is.EqualTo(1), "the package's library asks for GLIBCXX_3.4.32 once");

        using var temp = TestModels.TempDir();
        string libTorch = Path.Combine(temp.Path, "libtorch");
        Touch(libTorch, "libtorch.so");
        Touch(libTorch, "libgomp-98b21ff3.so.1");
        Touch(libTorch, "LICENSE.txt");
        string? previousCache = Environment.GetEnvironmentVariable("MLNET_TRANSFER_CACHE");
        Environment.SetEnvironmentVariable("MLNET_TRANSFER_CACHE", Path.Combine(temp.Path, "cache"));
        try
        {
            var files = new LibTorchNativeSetup.NativeFiles(OriginalLibrary, libTorch);
            string copy = LibTorchNativeSetup.PatchedCopy(files, patched);

            Assert.That(copy, Does.StartWith(Path.Combine(temp.Path, "cache")));
            byte[] written = File.ReadAllBytes(Path.Combine(copy, LibTorchNativeSetup.LibraryFile));
            Assert.That(written, Is.EqualTo(patched));
            Assert.That(GlibcxxVersionRequirement.Weaken(written, GlibcxxVersionRequirement.LibTorchSharpVersion), Is.Zero, "already weak");
            Assert.That(new FileInfo(Path.Combine(copy, "libtorch.so")).LinkTarget, Is.EqualTo(Path.Combine(libTorch, "libtorch.so")));
            Assert.That(new FileInfo(Path.Combine(copy, "libgomp-98b21ff3.so.1")).LinkTarget, Is.Not.Null);
            Assert.That(File.Exists(Path.Combine(copy, "LICENSE.txt")), Is.False, "only shared libraries");
            Assert.That(LibTorchNativeSetup.PatchedCopy(files, patched), Is.EqualTo(copy), "made once");
            Assert.That(File.ReadAllBytes(OriginalLibrary), Is.EqualTo(original), "the NuGet cache is never written to");
        }
        finally
        {
            Environment.SetEnvironmentVariable("MLNET_TRANSFER_CACHE", previousCache);
        }
    }

    [Test]
    public void InThisTestProcessTheBuildAlreadyPatchedTheOutputCopySoFirstUseDidNothing()
    {
        // Any MLNet.Transfer type ran the module initializer; the test's own output copy was patched by the build.
        _ = MLNet.Transfer.Encoders.ModelCache.Root;
        Assert.That(LibTorchNativeSetup.Outcome, Is.AnyOf("already patched (by the build)", "system libstdc++ is new enough", "LibTorchSharp already loaded"));
    }

    private static string Touch(string root, params string[] parts)
    {
        string path = Path.Combine([root, .. parts]);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "x");
        return path;
    }

    private static string TorchSharpVersion() =>
        System.Text.RegularExpressions.Regex.Match(File.ReadAllText(RepositoryFiles.Path("Directory.Packages.props")),
            "\"TorchSharp\" Version=\"([^\"]+)\"").Groups[1].Value;
}
