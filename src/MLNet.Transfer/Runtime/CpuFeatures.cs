namespace MLNet.Transfer.Runtime;

/// <summary>What the CPU can do beyond fp32, read once per process.</summary>
public static class CpuFeatures
{
    private static readonly Lazy<bool> BFloat16Units = new(ReadBFloat16Units);

    /// <summary>
    /// True when the CPU multiplies bfloat16 natively (x86 AVX512-BF16 or AMX-BF16, as Linux reports them in
    /// /proc/cpuinfo), the case where LibTorch's (oneDNN's) bf16 matrix products beat fp32. False where it cannot tell
    /// (other operating systems), which keeps fp32.
    /// </summary>
    public static bool HasBFloat16Units => BFloat16Units.Value;

    /// <summary>Whether a /proc/cpuinfo text lists a bfloat16 matrix unit among the flags.</summary>
    internal static bool ListsBFloat16Units(string cpuinfo) =>
        cpuinfo.Split('\n').Where(line => line.StartsWith("flags", StringComparison.Ordinal))
               .Any(line => line.Split([' ', '\t', ':'], StringSplitOptions.RemoveEmptyEntries).Any(flag => flag is "avx512_bf16" or "amx_bf16"));

    private static bool ReadBFloat16Units()
    {
        try
        {
            return OperatingSystem.IsLinux() && File.Exists("/proc/cpuinfo") && ListsBFloat16Units(File.ReadAllText("/proc/cpuinfo"));
        }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }
}
