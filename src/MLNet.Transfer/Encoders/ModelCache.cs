namespace MLNet.Transfer.Encoders;

/// <summary>
/// Where converted models are cached: $MLNET_TRANSFER_CACHE, else $XDG_CACHE_HOME/mlnet-transfer,
/// else ~/.cache/mlnet-transfer (on Windows, %LOCALAPPDATA%\mlnet-transfer).
/// </summary>
public static class ModelCache
{
    /// <summary>The cache root (not created until something is written).</summary>
    public static string Root
    {
        get
        {
            string? explicitRoot = Environment.GetEnvironmentVariable("MLNET_TRANSFER_CACHE");
            if (!string.IsNullOrWhiteSpace(explicitRoot)) return explicitRoot;
            if (OperatingSystem.IsWindows())
                return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "mlnet-transfer");
            string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            string baseDir = !string.IsNullOrWhiteSpace(xdg) ? xdg : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
            return Path.Combine(baseDir, "mlnet-transfer");
        }
    }

    /// <summary>
    /// Returns <paramref name="name"/>'s folder under the cache, creating it with <paramref name="populate"/> the first
    /// time. The folder is filled under a temporary name and renamed into place, so a crash never leaves a
    /// half-written entry; concurrent processes may both build it, and the first rename wins.
    /// Returns null when the cache is not writable (the caller then works without it).
    /// </summary>
    public static string? GetOrCreate(string name, Action<string> populate)
    {
        string target = Path.Combine(Root, name);
        if (Directory.Exists(target)) return target;
        string temp = Path.Combine(Root, $".{name}.{Guid.NewGuid():N}.tmp");
        try
        {
            Directory.CreateDirectory(temp);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        try
        {
            populate(temp);
            try { Directory.Move(temp, target); }
            catch (IOException) when (Directory.Exists(target)) { /* another process won the race */ }
            return target;
        }
        finally
        {
            if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
        }
    }
}
