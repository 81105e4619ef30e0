using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transfer.MLNetIntegration;
using MLNet.Transfer.Training.SemiSupervised;
using Spectre.Console;

namespace MLNet.Transfer.Cli;

/// <summary>
/// <c>train ... --unlabelled corpus.txt [--semi-supervised self-training|uda]</c> (fine-tuning a binary or multiclass task):
/// unlabelled texts, one per line, used by self-training (default) or UDA-style consistency training.
/// </summary>
public sealed class SemiSupervisedOption
{
    /// <summary>The two options, declared for <c>train</c>.</summary>
    public static IReadOnlyList<CliOption> Options { get; } =
    [
        CliOption.Value("unlabelled", "FILE",
            "finetune, binary/multiclass: unlabelled texts from the same source, one per line (blank lines skipped), used "
            + "semi-supervised (--semi-supervised)."),
        CliOption.OneOf("semi-supervised", ["self-training", "uda"],
            "With --unlabelled. self-training: the model fine-tuned on the labels pseudo-labels the texts it is at least 90% sure of "
            + "(as many per class, at most 1,000 per class), and a student trained from the same start on labels + pseudo-labels "
            + "(TF-IDF word-piece noise, dropout) is kept when it scores better on the validation data. uda: every step adds the KL "
            + "divergence between the predictions on unlabelled texts (sharpened, confident ones only) and on TF-IDF-augmented copies "
            + "of them, with training-signal annealing of the labelled loss. Both print a line per round or validation; same --seed, "
            + "same model.", "self-training"),
    ];

    private SemiSupervisedOption(string path, SemiSupervisedMethod method) => (Path, Method) = (path, method);

    /// <summary>The unlabelled file.</summary>
    public string Path { get; }
    /// <summary>The method.</summary>
    public SemiSupervisedMethod Method { get; }

    /// <summary>The options given (null without --unlabelled); --semi-supervised alone is an error.</summary>
    public static SemiSupervisedOption? Read(CliArguments args)
    {
        string? path = args.Optional("unlabelled");
        string? method = args.Choice("semi-supervised");
        if (path is null)
            return method is null ? null : throw new CliException("--semi-supervised needs --unlabelled FILE (unlabelled texts, one per line).");
        return new SemiSupervisedOption(path, method == "uda" ? SemiSupervisedMethod.Consistency : SemiSupervisedMethod.SelfTraining);
    }

    /// <summary>Rejects combinations it does not apply to.</summary>
    public void Check(string task, string approach)
    {
        if (approach != "finetune") throw new CliException("--unlabelled applies to --approach finetune (the default).");
        if (task is not ("binary" or "multiclass")) throw new CliException($"--unlabelled applies to --task binary or multiclass, not {task}.");
    }

    /// <summary>Reads the file into <paramref name="options"/> (unlabelled data in the text column, method, round lines on the console).</summary>
    public void ApplyTo(FineTuneTransformerOptions options, MLContext mlContext)
    {
        if (!File.Exists(Path)) throw new CliException($"--unlabelled: file not found: {Path}");
        var lines = File.ReadLines(Path).Where(l => !string.IsNullOrWhiteSpace(l)).Select(l => new UnlabelledLine { Text = l }).ToList();
        if (lines.Count == 0) throw new CliException($"--unlabelled: {Path} has no text (one text per line expected).");
        var schema = SchemaDefinition.Create(typeof(UnlabelledLine));
        schema[nameof(UnlabelledLine.Text)].ColumnName = options.TextColumnName;
        options.UnlabeledData = mlContext.Data.LoadFromEnumerable(lines, schema);
        options.SemiSupervised = new SemiSupervisedSettings { Method = Method };
        options.SemiSupervisedProgress = new RoundLines();
        Console.WriteLine($"Unlabelled: {lines.Count:N0} texts from {Path} ({(Method == SemiSupervisedMethod.Consistency ? "UDA consistency training" : "self-training")}).");
    }

    private sealed class UnlabelledLine
    {
        public string Text { get; set; } = "";
    }

    private sealed class RoundLines : IProgress<SemiSupervisedRound>
    {
        public void Report(SemiSupervisedRound r)
        {
            string line = Line(r);
            if (Console.IsOutputRedirected) Console.WriteLine(line); // Spectre would wrap it at 80 columns
            else AnsiConsole.WriteLine(line);
        }

        private static string Line(SemiSupervisedRound r) => r.Round == 0
            ? $"self-training round 0 (teacher, labels only): validation score {r.ValidationScore?.ToString("F4") ?? "n/a"}"
            : $"self-training round {r.Round}/{r.Rounds}: {r.PseudoLabels} pseudo-labels ({string.Join(" / ", r.PerClass)} per class), validation score "
              + $"{r.ValidationScore?.ToString("F4") ?? "n/a"}{(r.Kept ? "" : r.PseudoLabels == 0 ? " — no confident texts, stopping" : " — not better, keeping the previous round")}";
    }
}
