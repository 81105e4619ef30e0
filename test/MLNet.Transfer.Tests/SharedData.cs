namespace MLNet.Transfer.Tests;

/// <summary>Finds ../shared/data (beside the repository), which CI provides; tests using it are ignored without it.</summary>
internal static class SharedData
{
    /// <summary>Path of a file under the shared data directory; marks the test Ignored when it is absent.</summary>
    public static string Path(params string[] parts)
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            string candidate = System.IO.Path.Combine([directory.FullName, "shared", "data", .. parts]);
            if (File.Exists(candidate))
                return candidate;
        }
        Assert.Ignore($"Shared data file {string.Join('/', parts)} not found (expected ../shared/data beside the repository).");
        return null!;
    }
}
