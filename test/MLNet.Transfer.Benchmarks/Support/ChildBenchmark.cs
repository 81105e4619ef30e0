using System.Diagnostics;

namespace MLNet.Transfer.Benchmarks.Support;

/// <summary>
/// Starts this benchmark program again as a child process with other arguments (a CPU burner, a memory probe):
/// the apphost directly, or <c>dotnet exec</c> on the entry assembly when launched through the muxer.
/// </summary>
internal static class ChildBenchmark
{
    public static Process Start(params string[] args)
    {
        string host = Environment.ProcessPath ?? throw new InvalidOperationException("Cannot locate this process's executable.");
        var start = new ProcessStartInfo(host) { RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(host).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            start.ArgumentList.Add("exec");
            start.ArgumentList.Add(typeof(ChildBenchmark).Assembly.Location);
        }
        foreach (string arg in args) start.ArgumentList.Add(arg);
        return Process.Start(start) ?? throw new InvalidOperationException($"Could not start {host}.");
    }

    /// <summary>Runs a child to completion and returns its standard output's last line.</summary>
    public static string RunToEnd(params string[] args)
    {
        using var child = Start(args);
        child.StandardInput.Close();
        string output = child.StandardOutput.ReadToEnd();
        child.WaitForExit();
        if (child.ExitCode != 0) throw new InvalidOperationException($"Child benchmark '{string.Join(' ', args)}' exited with {child.ExitCode}.");
        return output.TrimEnd().Split('\n')[^1];
    }
}
