using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using MLNet.Transfer.Inference;
using TorchSharp;

namespace MLNet.Transfer.Runtime;

/// <summary>
/// The one check before the library's code needs LibTorch (building a TorchSharp module, training, the LibTorch engine, a
/// GPU): an application may leave the native LibTorch package out and still embed and predict on ONNX Runtime, and when it
/// then asks for something that needs LibTorch it gets an <see cref="InvalidOperationException"/> that names what needed it
/// and the package to add — instead of TorchSharp's <see cref="TypeInitializationException"/> at whatever call came first,
/// and before TorchSharp's fallback copies LibTorch out of the NuGet package folder into the application's folder.
/// </summary>
internal static class LibTorchRequirement
{
    internal const string CpuPackage = "libtorch-cpu-linux-x64";
    internal const string CudaPackageExample = "libtorch-cuda-12.8-linux-x64";
    private static volatile bool _ready;

    /// <summary>
    /// Makes sure LibTorch is loaded (loading it now when it is not), or throws the error that says so.
    /// </summary>
    /// <param name="purpose">What needs LibTorch, as the start of a sentence, e.g. "Fine-tuning (FineTuneTransformer.Fit)".</param>
    /// <exception cref="InvalidOperationException">The application has no LibTorch natives, or they fail to load.</exception>
    public static void Ensure(string purpose)
    {
        if (_ready) return;
        if (!LibTorchThreads.IsLoaded() &&
            MissingReason(typeof(torch).Assembly.Location, AppContext.BaseDirectory, LibTorchNativeSetup.LibTorchPackageVersion()) is { } missing)
            throw new InvalidOperationException(MissingMessage(purpose, missing));
        try
        {
            RuntimeHelpers.RunClassConstructor(typeof(torch).TypeHandle); // TorchSharp's static constructor loads LibTorch
        }
        catch (TypeInitializationException e)
        {
            string cause = (e.InnerException?.Message ?? e.Message).Split('\n')[0].Trim();
            throw new InvalidOperationException(
                $"{purpose} needs LibTorch, which failed to load: {cause} Reference {CpuPackage} (or a CUDA build such as {CudaPackageExample}) " +
                "in the application; see the inner exception for TorchSharp's account.", e);
        }
        _ready = true;
    }

    /// <summary>
    /// Why the application has no LibTorch to load, or null when it has (or when that cannot be told without loading it: not
    /// linux-x64). Looks where TorchSharp looks (<see cref="LibTorchNativeSetup.Locate"/>: the application's folder, its
    /// runtimes/linux-x64/native, TorchSharp's folder, the NuGet package folder TorchSharp was loaded from) and on the
    /// system's library path.
    /// </summary>
    /// <param name="torchSharpAssembly">The path of TorchSharp.dll.</param>
    /// <param name="appDirectory">The application's folder.</param>
    /// <param name="libTorchVersion">The LibTorch version TorchSharp was built against.</param>
    /// <param name="loadsFromLibraryPath">Whether a library name loads from the system's library path (default: try to load it).</param>
    internal static string? MissingReason(string torchSharpAssembly, string appDirectory, string? libTorchVersion,
                                          Func<string, bool>? loadsFromLibraryPath = null)
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64) return null;
        if (LibTorchNativeSetup.Locate(torchSharpAssembly, appDirectory, libTorchVersion) is not null) return null;
        loadsFromLibraryPath ??= name => NativeLibrary.TryLoad(name, out _);
        if (loadsFromLibraryPath("libtorch.so")) return null; // a LibTorch on the library path (LD_LIBRARY_PATH)
        return $"no libtorch.so in {appDirectory} nor on the library path";
    }

    /// <summary>The error for <paramref name="purpose"/> when LibTorch is <paramref name="missing"/>.</summary>
    internal static string MissingMessage(string purpose, string missing) =>
        $"{purpose} needs LibTorch, and this application has none ({missing}). Add the package {CpuPackage} " +
        $"(version {LibTorchNativeSetup.LibTorchPackageVersion() ?? "matching TorchSharp"}) to the application, or a CUDA build such as " +
        $"{CudaPackageExample}. Without LibTorch, MLNet.Transfer embeds and predicts with BERT models on ONNX Runtime only " +
        "(TransferEmbeddingGenerator, ApplyContextualEmbeddings, a loaded model's Transform and PredictionEngine); see docs/models.md, \"An inference-only application\".";
}
