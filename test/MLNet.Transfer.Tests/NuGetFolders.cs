namespace MLNet.Transfer.Tests;

/// <summary>Where NuGet keeps restored packages on this machine.</summary>
internal static class NuGetFolders
{
    /// <summary>The global packages folder: NUGET_PACKAGES, else ~/.nuget/packages.</summary>
    public static string Packages() =>
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } packages
            ? packages
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
}
