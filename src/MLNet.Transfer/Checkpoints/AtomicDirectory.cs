namespace MLNet.Transfer.Checkpoints;

/// <summary>
/// Writes a whole model directory so that a failure never leaves a half-written one in its place: the files go to
/// a temporary sibling folder, which is renamed to the target only when complete. An existing model directory
/// (one with a config.json) is replaced; any other non-empty folder is refused rather than deleted.
/// </summary>
public static class AtomicDirectory
{
    /// <summary>Throws <see cref="IOException"/> when <paramref name="directory"/> may not be replaced (call before long work).</summary>
    public static void EnsureReplaceable(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        string full = Path.GetFullPath(directory);
        if (File.Exists(full)) throw new IOException($"Output '{directory}' is a file; give a directory path.");
        if (Directory.Exists(full) && Directory.EnumerateFileSystemEntries(full).Any() && !ModelDirectory.IsModelDirectory(full))
            throw new IOException($"Output directory '{directory}' exists and is not a model directory (no {ModelDirectory.ConfigFile}); refusing to replace it. Choose a new or empty directory.");
    }

    /// <summary>Runs <paramref name="populate"/> on a fresh temporary folder beside <paramref name="directory"/>, then swaps it in.</summary>
    public static void Write(string directory, Action<string> populate)
    {
        EnsureReplaceable(directory);
        string full = Path.GetFullPath(directory).TrimEnd(Path.DirectorySeparatorChar);
        string parent = Path.GetDirectoryName(full) ?? ".";
        string name = Path.GetFileName(full);
        Directory.CreateDirectory(parent);
        string temp = Path.Combine(parent, $".{name}.{Guid.NewGuid():N}.tmp");
        string old = Path.Combine(parent, $".{name}.{Guid.NewGuid():N}.old");
        Directory.CreateDirectory(temp);
        try
        {
            populate(temp);
            if (Directory.Exists(full)) Directory.Move(full, old);
            Directory.Move(temp, full);
        }
        catch
        {
            if (Directory.Exists(old) && !Directory.Exists(full)) Directory.Move(old, full); // put the previous model back
            throw;
        }
        finally
        {
            TryDelete(temp);
            TryDelete(old);
        }
    }

    private static void TryDelete(string path)
    {
        try { if (Directory.Exists(path)) Directory.Delete(path, true); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
