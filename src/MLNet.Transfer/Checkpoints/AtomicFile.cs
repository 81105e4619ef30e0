namespace MLNet.Transfer.Checkpoints;

/// <summary>Writes files so that a crash or error mid-write never leaves a half-written or destroyed target.</summary>
public static class AtomicFile
{
    /// <summary>
    /// Runs <paramref name="write"/> against a temp file beside <paramref name="path"/>, flushes it to disk,
    /// then renames it over <paramref name="path"/>. On failure the temp file is deleted and any previous
    /// file at <paramref name="path"/> is left untouched.
    /// </summary>
    public static void Write(string path, Action<Stream> write)
    {
        string full = Path.GetFullPath(path);
        string? directory = Path.GetDirectoryName(full);
        if (!string.IsNullOrEmpty(directory)) Directory.CreateDirectory(directory);
        string temp = Path.Combine(directory ?? ".", $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { }
            throw;
        }
    }

    /// <summary>Atomically writes <paramref name="text"/> as UTF-8.</summary>
    public static void WriteAllText(string path, string text) =>
        Write(path, s => { using var w = new StreamWriter(s, new System.Text.UTF8Encoding(false), leaveOpen: true); w.Write(text); });
}
