namespace MLNet.Transfer.Cli;

/// <summary>Verb dispatch and the error contract: bad input → one line on stderr, exit code 2 (stack trace only with --verbose).</summary>
public static class CliApp
{
    /// <summary>Every verb, in the order the top-level usage lists them; each defines its options once (see <see cref="CliVerb"/>).</summary>
    public static IReadOnlyList<CliVerb> Verbs { get; } =
        [EmbedCommand.Verb, TrainCommand.Verb, EvaluateCommand.Verb, PredictCommand.Verb, PretrainCommand.Verb, ExportCommand.Verb];

    /// <summary>Runs the command line and returns the process exit code.</summary>
    public static int Run(string[] args)
    {
        if (args.Length == 0 || args[0] is "--help" or "-h" or "help")
        {
            Console.WriteLine(CliHelp.TopLevel(Verbs));
            return args.Length == 0 ? 2 : 0;
        }
        if (args[0] == "--version")
        {
            Console.WriteLine($"mlnet-transfer {Version}");
            return 0;
        }
        string name = args[0];
        bool verbose = args.Contains("--verbose");
        var verb = Verbs.FirstOrDefault(v => v.Name == name);
        if (verb is null)
        {
            Console.Error.WriteLine($"error: unknown verb '{name}'. Verbs: {string.Join(", ", Verbs.Select(v => v.Name))}.");
            return 2;
        }
        if (args.Contains("--help") || args.Contains("-h"))
        {
            Console.WriteLine(verb.Help);
            return 0;
        }
        try
        {
            var parsed = new CliArguments(verb, args.Skip(1).Where(a => a != "--verbose"));
            return verb.Run(parsed);
        }
        catch (Exception e) when (IsUserError(e))
        {
            Console.Error.WriteLine($"error: {Describe(e)}");
            if (verbose) Console.Error.WriteLine(e);
            return 2;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"error: {Describe(e)} (unexpected {e.GetType().Name}; run with --verbose for details)");
            if (verbose) Console.Error.WriteLine(e);
            return 1;
        }
    }

    /// <summary>The informational version of the tool (the package version, with the commit when built from source).</summary>
    public static string Version => VersionOf(typeof(CliApp).Assembly);

    /// <summary>An assembly's informational version (the package version, with the commit when built from source).</summary>
    public static string VersionOf(System.Reflection.Assembly assembly) =>
        assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion
        ?? assembly.GetName().Version?.ToString() ?? "unknown";

    private static bool IsUserError(Exception e) => e is CliException or ArgumentException or InvalidDataException or IOException
        or NotSupportedException or InvalidOperationException or FormatException or UnauthorizedAccessException
        || (e.InnerException is not null && IsUserError(e.InnerException));

    /// <summary>One line: the innermost meaningful message.</summary>
    private static string Describe(Exception e)
    {
        while (e.InnerException is not null && e is System.Reflection.TargetInvocationException or AggregateException) e = e.InnerException;
        string message = e.Message;
        if (e is ArgumentException { ParamName: { } param }) message = message.Replace($" (Parameter '{param}')", "");
        return message.ReplaceLineEndings(" ");
    }
}
