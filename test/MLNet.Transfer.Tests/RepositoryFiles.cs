namespace MLNet.Transfer.Tests;

/// <summary>Paths inside the repository this test assembly was built from.</summary>
internal static class RepositoryFiles
{
    /// <summary>The folder holding MLNet.Transfer.sln, found above the test's output folder.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>A path under the repository root.</summary>
    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "MLNet.Transfer.sln")))
                return dir.FullName;
        }
        throw new DirectoryNotFoundException("MLNet.Transfer.sln not found above " + AppContext.BaseDirectory);
    }
}
