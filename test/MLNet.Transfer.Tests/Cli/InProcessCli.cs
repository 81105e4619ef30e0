using MLNet.Transfer.Cli;

namespace MLNet.Transfer.Tests.Cli;

/// <summary>Runs mlnet-transfer in this process with captured output (callers are [NonParallelizable]: Console is global).</summary>
internal static class InProcessCli
{
    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        var (stdout, stderr) = (Console.Out, Console.Error);
        using var o = new StringWriter();
        using var e = new StringWriter();
        Console.SetOut(o);
        Console.SetError(e);
        try { return (CliApp.Run(args), o.ToString(), e.ToString()); }
        finally { Console.SetOut(stdout); Console.SetError(stderr); }
    }
}
