namespace MLNet.Transfer.Cli;

/// <summary>Verb dispatch and the error contract: bad input → one line on stderr, exit code 2 (stack trace only with --verbose).</summary>
public static class CliApp
{
    private static readonly HashSet<string> Flags = ["normalize", "no-normalize", "json", "verbose", "help", "balance-classes", "no-balance-classes", "casing"];

    private const string Usage = """
        mlnet-transfer — transfer learning for NLP in ML.NET

        Verbs:
          embed      sentence vectors from a pretrained encoder
          train      fine-tune (or featurize / baseline) a text classifier or regressor → model.zip
          evaluate   ML.NET metrics of a model.zip on a labelled TSV
          predict    label and score for a text (or each line of --input)
          pretrain   adapt or train a language model (masked or causal) → Hugging Face directory
          export     a fine-tuned model.zip or tagger as ONNX
        Run 'mlnet-transfer <verb> --help' for a verb's options; 'mlnet-transfer --version' prints the version.
        """;

    /// <summary>Runs the command line and returns the process exit code.</summary>
    public static int Run(string[] args)
    {
        if (args.Length == 0 || args[0] is "--help" or "-h" or "help")
        {
            Console.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }
        if (args[0] == "--version")
        {
            Console.WriteLine($"mlnet-transfer {Version}");
            return 0;
        }
        string verb = args[0];
        bool verbose = args.Contains("--verbose");
        (string Help, Func<CliArguments, int> Run)? command = verb switch
        {
            "pretrain" => (PretrainCommand.Help, PretrainCommand.Run),
            "embed" => (EmbedCommand.Help, EmbedCommand.Run),
            "train" => (TrainCommand.Help, TrainCommand.Run),
            "evaluate" => (EvaluateCommand.Help, EvaluateCommand.Run),
            "predict" => (PredictCommand.Help, PredictCommand.Run),
            "export" => (ExportCommand.Help, ExportCommand.Run),
            _ => null,
        };
        if (command is null)
        {
            Console.Error.WriteLine($"error: unknown verb '{verb}'. Verbs: embed, train, evaluate, predict, pretrain, export.");
            return 2;
        }
        if (args.Contains("--help") || args.Contains("-h"))
        {
            Console.WriteLine(command.Value.Help);
            return 0;
        }
        try
        {
            var parsed = new CliArguments(args.Skip(1).Where(a => a != "--verbose"), Flags);
            return command.Value.Run(parsed);
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
