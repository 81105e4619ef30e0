using System.Diagnostics;

namespace MLNet.Transfer.Benchmarks.Support;

/// <summary>
/// A second process that keeps one core busy (a spin loop on one thread) until disposed: the "another program shares
/// the machine" condition under which LibTorch's spin-waiting OpenMP threads collapse.
/// </summary>
internal sealed class CpuBurner : IDisposable
{
    public const string Argument = "--burn-one-core";
    private readonly Process _child = ChildBenchmark.Start(Argument);

    /// <summary>The child's body: spins on one thread until standard input closes (the parent ended or disposed it).</summary>
    public static int Burn()
    {
        var spinner = new Thread(() => { ulong x = 1; while (true) x = x * 6364136223846793005UL + 1442695040888963407UL; }) { IsBackground = true };
        spinner.Start();
        Console.In.ReadToEnd();
        return 0;
    }

    public void Dispose()
    {
        try
        {
            _child.StandardInput.Close();
            if (!_child.WaitForExit(5000)) _child.Kill();
        }
        finally
        {
            _child.Dispose();
        }
    }
}
