using System.Text.RegularExpressions;

namespace MLNet.Transfer.Checkpoints;

/// <summary>
/// Finds a model id (<c>org/name</c>, optionally <c>org/name@revision</c>) in the local Hugging Face hub cache, where
/// <c>huggingface_hub</c> and <c>transformers</c> keep what they downloaded:
/// <c>&lt;cache&gt;/models--org--name/snapshots/&lt;commit&gt;/</c>, with <c>refs/&lt;branch&gt;</c> naming the commit.
/// Nothing is downloaded: a model that is not in the cache is not found.
/// </summary>
public static partial class HuggingFaceHubCache
{
    /// <summary>
    /// The cache folder, as <c>huggingface_hub</c> chooses it: <c>HF_HUB_CACHE</c> (or the older
    /// <c>HUGGINGFACE_HUB_CACHE</c>), else <c>HF_HOME/hub</c>, else <c>XDG_CACHE_HOME/huggingface/hub</c>, else
    /// <c>~/.cache/huggingface/hub</c>.
    /// </summary>
    public static string CacheDirectory
    {
        get
        {
            if ((Environment("HF_HUB_CACHE") ?? Environment("HUGGINGFACE_HUB_CACHE")) is { } hubCache) return hubCache;
            if (Environment("HF_HOME") is { } home) return Path.Combine(home, "hub");
            string cacheRoot = Environment("XDG_CACHE_HOME")
                               ?? Path.Combine(System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile), ".cache");
            return Path.Combine(cacheRoot, "huggingface", "hub");
        }
    }

    /// <summary>True when <paramref name="name"/> has the shape of a hub model id (<c>org/name</c> or <c>org/name@revision</c>) rather than a path.</summary>
    public static bool IsModelId(string name) => ModelIdPattern().IsMatch(name);

    /// <summary>
    /// The snapshot directory of <paramref name="modelId"/> in <see cref="CacheDirectory"/>, or null when the cache has no
    /// folder for that model (or <paramref name="modelId"/> is not an id).
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The model is cached but not at the requested revision (the message lists the cached ones).</exception>
    public static string? TryResolve(string modelId)
    {
        var match = ModelIdPattern().Match(modelId);
        if (!match.Success) return null;
        string repository = RepositoryFolder(match);
        if (!Directory.Exists(repository)) return null;

        string revision = match.Groups["revision"].Success ? match.Groups["revision"].Value : "main";
        string snapshots = Path.Combine(repository, "snapshots");
        string refFile = Path.Combine(repository, "refs", revision);
        string commit = File.Exists(refFile) ? File.ReadAllText(refFile).Trim() : revision;
        string snapshot = Path.Combine(snapshots, commit);
        if (Directory.Exists(snapshot)) return snapshot;

        var cached = Directory.Exists(snapshots) ? Directory.GetDirectories(snapshots).Select(Path.GetFileName).ToArray() : [];
        // A cache filled by copying one snapshot often has no refs/: take its only snapshot when no revision was asked for.
        if (!match.Groups["revision"].Success && !File.Exists(refFile) && cached.Length == 1)
            return Path.Combine(snapshots, cached[0]!);
        throw new DirectoryNotFoundException(
            $"'{modelId}' is in the Hugging Face hub cache ({repository}) but not at revision '{revision}'" +
            (cached.Length == 0 ? ": it has no snapshots." : $"; cached snapshots: {string.Join(", ", cached)} (ask for one with '{match.Groups["org"].Value}/{match.Groups["name"].Value}@<commit>')."));
    }

    /// <summary>Where <paramref name="modelId"/> would be cached, for messages.</summary>
    public static string ExpectedLocation(string modelId) =>
        ModelIdPattern().Match(modelId) is { Success: true } match ? RepositoryFolder(match) : CacheDirectory;

    /// <summary>The hub's folder for a matched id: <c>&lt;cache&gt;/models--org--name</c>.</summary>
    private static string RepositoryFolder(Match match) =>
        Path.Combine(CacheDirectory, $"models--{match.Groups["org"].Value}--{match.Groups["name"].Value}");

    private static string? Environment(string variable) =>
        System.Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value ? value : null;

    // Hub ids: letters, digits, '-', '_', '.'; neither part starts with '.' (so "./x" and "../x" stay paths).
    [GeneratedRegex(@"^(?<org>[A-Za-z0-9_][A-Za-z0-9_.-]*)/(?<name>[A-Za-z0-9_][A-Za-z0-9_.-]*)(@(?<revision>[A-Za-z0-9_./-]+))?$")]
    private static partial Regex ModelIdPattern();
}
