namespace MLNet.Transfer.Tests;

/// <summary>
/// Finds ../shared/data (beside the repository), which CI provides. Tests using it carry [Category("SharedData")];
/// .ci/run excludes that category when ../shared/data is absent, so a missing file here is a failure, never a skip.
/// </summary>
internal static class SharedData
{
    /// <summary>Path of a file under the shared data directory; fails the test, naming the file, when it is absent.</summary>
    public static string Path(params string[] parts)
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            string candidate = System.IO.Path.Combine([directory.FullName, "shared", "data", .. parts]);
            if (File.Exists(candidate))
                return candidate;
        }
        Assert.Fail($"Shared data file shared/data/{string.Join('/', parts)} not found above {AppContext.BaseDirectory} " +
                    "(expected ../shared/data beside the repository; run without it with --filter \"TestCategory!=SharedData\").");
        return null!;
    }
}
