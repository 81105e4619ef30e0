using System.IO.Compression;

namespace MLNet.Transfer.Tests.MLNetIntegration;

/// <summary>A temporary directory deleted on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"mlnet-transfer-tests-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}

/// <summary>Edits entries of a saved model zip to simulate damage.</summary>
internal static class ZipEdit
{
    /// <summary>Replaces the bytes of the single entry whose name ends with <paramref name="suffix"/> (null deletes it); returns its full name.</summary>
    public static string Rewrite(string zipPath, string suffix, Func<byte[], byte[]?> edit)
    {
        using ZipArchive zip = ZipFile.Open(zipPath, ZipArchiveMode.Update);
        ZipArchiveEntry entry = zip.Entries.Single(e => e.FullName.EndsWith(suffix, StringComparison.Ordinal));
        string name = entry.FullName;
        byte[] bytes;
        using (Stream source = entry.Open())
        using (var copy = new MemoryStream())
        {
            source.CopyTo(copy);
            bytes = copy.ToArray();
        }
        entry.Delete();
        byte[]? replaced = edit(bytes);
        if (replaced is not null)
        {
            using Stream target = zip.CreateEntry(name).Open();
            target.Write(replaced);
        }
        return name;
    }

    public static long EntryLength(string zipPath, string suffix)
    {
        using ZipArchive zip = ZipFile.OpenRead(zipPath);
        return zip.Entries.Single(e => e.FullName.EndsWith(suffix, StringComparison.Ordinal)).Length;
    }
}

internal static class Exceptions
{
    /// <summary>The exception and its inner exceptions, outermost first (ML.NET wraps loader errors in TargetInvocationException).</summary>
    public static IEnumerable<Exception> Chain(this Exception exception)
    {
        for (Exception? e = exception; e is not null; e = e.InnerException)
            yield return e;
    }
}
