using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using MLNet.Transfer.Encoders;
using TorchSharp;

namespace MLNet.Transfer.Runtime;

/// <summary>
/// The LibTorch GLIBCXX fix at first use, for hosts that never ran our build step (build/LibTorchGlibcxxFix.targets): a
/// .NET Interactive kernel or a script that restored the packages loads TorchSharp straight from the NuGet package folder,
/// where libLibTorchSharp.so is the original, and its LibTorch in another package folder. When the system libstdc++ lacks
/// GLIBCXX_3.4.32 and the library TorchSharp would load is unpatched, this writes a patched copy into the model cache
/// (<see cref="ModelCache"/>) beside links to LibTorch's libraries and loads it before TorchSharp's first call; TorchSharp
/// then finds it loaded (by its soname). The NuGet package folder is never written to. Runs once, when MLNet.Transfer is
/// first used (a module initializer), so before any of our code calls TorchSharp.
/// </summary>
internal static class LibTorchNativeSetup
{
    internal const string LibraryFile = "libLibTorchSharp.so";
    private const string NativeRid = "linux-x64";

    /// <summary>The native files TorchSharp would load: its bridge library and the folder of LibTorch's libraries.</summary>
    internal sealed record NativeFiles(string LibTorchSharp, string LibTorchDirectory);

    /// <summary>What the first-use setup did, in words (for diagnostics and tests).</summary>
    internal static string Outcome { get; private set; } = "not run";

    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255:The 'ModuleInitializer' attribute should not be used in libraries",
        Justification = "LibTorch must be made loadable before any of the library's code calls TorchSharp; nothing else runs that early.")]
    internal static void OnFirstUse()
    {
        try
        {
            Outcome = Apply();
        }
        catch (Exception e) // whatever went wrong, the library must stay usable: TorchSharp then reports its own load error
        {
            Outcome = "failed: " + e.Message;
            Console.Error.WriteLine(
                $"MLNet.Transfer: LibTorch's {LibraryFile} needs {GlibcxxVersionRequirement.LibTorchSharpVersion}, which this system's libstdc++ lacks, " +
                $"and the fix at first use (a patched copy in {ModelCache.Root}) failed: {e.Message}. Set MLNET_TRANSFER_CACHE to a writable folder, " +
                "or build the application with the MLNet.Transfer package (its build step patches the output copy).");
        }
    }

    private static string Apply()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64) return "not linux-x64: nothing to do";
        if (GlibcxxVersionRequirement.SystemHasVersion(GlibcxxVersionRequirement.LibTorchSharpVersion)) return "system libstdc++ is new enough";
        if (File.Exists("/proc/self/maps") && File.ReadAllText("/proc/self/maps").Contains("/" + LibraryFile, StringComparison.Ordinal))
            return "LibTorchSharp already loaded";
        var files = Locate(typeof(torch).Assembly.Location, AppContext.BaseDirectory, LibTorchPackageVersion());
        if (files is null) return "no TorchSharp natives found (TorchSharp explains what to reference)";
        byte[] elf = File.ReadAllBytes(files.LibTorchSharp);
        if (GlibcxxVersionRequirement.Weaken(elf, GlibcxxVersionRequirement.LibTorchSharpVersion) <= 0) return "already patched (by the build)";
        string directory = PatchedCopy(files, elf);
        NativeLibrary.Load(Path.Combine(directory, LibraryFile));
        return "loaded the patched copy in " + directory;
    }

    /// <summary>
    /// Finds what TorchSharp would load: an application's output (natives flat beside the app or TorchSharp.dll, or under
    /// runtimes/linux-x64/native), else the NuGet package folder TorchSharp.dll was loaded from
    /// (<c>&lt;packages&gt;/torchsharp/&lt;v&gt;/lib/&lt;tfm&gt;/</c>), with LibTorch in <c>&lt;packages&gt;/libtorch-cpu-linux-x64/&lt;libTorchVersion&gt;</c>.
    /// </summary>
    internal static NativeFiles? Locate(string torchSharpAssembly, string appDirectory, string? libTorchVersion)
    {
        string assemblyDirectory = Path.GetDirectoryName(torchSharpAssembly) ?? appDirectory;
        foreach (string dir in new[] { appDirectory, Path.Combine(appDirectory, "runtimes", NativeRid, "native"), assemblyDirectory })
        {
            if (File.Exists(Path.Combine(dir, LibraryFile)) && File.Exists(Path.Combine(dir, "libtorch.so")))
                return new NativeFiles(Path.Combine(dir, LibraryFile), dir);
        }
        var packageVersionFolder = Directory.GetParent(assemblyDirectory)?.Parent;
        string? packages = packageVersionFolder?.Parent?.Parent?.FullName;
        if (packageVersionFolder is null || packages is null) return null;
        string lib = Path.Combine(packageVersionFolder.FullName, "runtimes", NativeRid, "native", LibraryFile);
        string libTorchPackage = Path.Combine(packages, LibTorchRequirement.CpuPackage);
        if (!File.Exists(lib) || !Directory.Exists(libTorchPackage)) return null;
        var versions = Directory.GetDirectories(libTorchPackage)
            .Where(v => File.Exists(Path.Combine(v, "runtimes", NativeRid, "native", "libtorch.so")))
            .OrderByDescending(v => Path.GetFileName(v) == libTorchVersion)
            .ThenByDescending(v => Version.TryParse(Path.GetFileName(v), out var parsed) ? parsed : new Version())
            .ToList();
        return versions.Count == 0 ? null : new NativeFiles(lib, Path.Combine(versions[0], "runtimes", NativeRid, "native"));
    }

    /// <summary>
    /// A cache folder holding <paramref name="patchedLibrary"/> as libLibTorchSharp.so and symbolic links to LibTorch's
    /// libraries (so that the patched copy's own dependencies resolve from its folder); created once per set of inputs.
    /// </summary>
    internal static string PatchedCopy(NativeFiles files, byte[] patchedLibrary)
    {
        var source = new FileInfo(files.LibTorchSharp);
        string key = $"{source.FullName}|{source.Length}|{source.LastWriteTimeUtc.Ticks}|{Path.GetFullPath(files.LibTorchDirectory)}";
        string hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..16];
        return ModelCache.GetOrCreate("libtorchsharp-" + hash, directory =>
        {
            foreach (string file in Directory.GetFiles(files.LibTorchDirectory).Where(f => f.Contains(".so", StringComparison.Ordinal)))
            {
                if (Path.GetFileName(file) != LibraryFile)
                    File.CreateSymbolicLink(Path.Combine(directory, Path.GetFileName(file)), Path.GetFullPath(file));
            }
            File.WriteAllBytes(Path.Combine(directory, LibraryFile), patchedLibrary);
        }) ?? throw new IOException($"the cache folder '{ModelCache.Root}' is not writable");
    }

    /// <summary>The LibTorch package version TorchSharp was built against ("2.10.0"), read without initialising TorchSharp.</summary>
    internal static string? LibTorchPackageVersion()
    {
        var field = typeof(torch).GetField("libtorchPackageVersion", BindingFlags.NonPublic | BindingFlags.Static);
        if (field?.GetRawConstantValue() is not string version) return null;
        return version.EndsWith(".0", StringComparison.Ordinal) && version.Count(c => c == '.') == 3 ? version[..^2] : version;
    }
}
