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

    /// <summary>Like <see cref="Run"/>, with <paramref name="stdin"/> as standard input.</summary>
    public static (int Code, string Out, string Err) RunWithInput(string stdin, params string[] args)
    {
        var original = Console.In;
        using var input = new StringReader(stdin);
        Console.SetIn(input);
        try { return Run(args); }
        finally { Console.SetIn(original); }
    }
}
