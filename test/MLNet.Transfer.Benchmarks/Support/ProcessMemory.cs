namespace MLNet.Transfer.Benchmarks.Support;

/// <summary>This process's resident memory from /proc (Linux).</summary>
internal static class ProcessMemory
{
    /// <summary>Resets the kernel's peak-RSS counter (VmHWM) of this process.</summary>
    public static void ResetPeak() => File.WriteAllText("/proc/self/clear_refs", "5");

    /// <summary>Current (VmRSS) and peak (VmHWM) resident memory in MB.</summary>
    public static (double Current, double Peak) Read()
    {
        double current = 0, peak = 0;
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) current = Kilobytes(line) / 1024.0;
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal)) peak = Kilobytes(line) / 1024.0;
        }
        return (current, peak);
    }

    private static long Kilobytes(string line) => long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
}
