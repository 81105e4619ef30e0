using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transfer.MLNetIntegration;
using MLNet.Transfer.Training.SemiSupervised;
using Spectre.Console;

namespace MLNet.Transfer.Cli;

/// <summary>
/// <c>train ... --unlabelled corpus.txt [--semi-supervised self-training|uda] [--self-training-rounds N]
/// [--pseudo-label-threshold P] [--pseudo-label-selection most-confident|random]</c> (fine-tuning binary / multiclass tasks, multi-task models, taggers): unlabelled texts,
/// one per line, used by self-training (default) or UDA-style consistency training.
/// </summary>
public sealed class SemiSupervisedOption
{
    /// <summary>The options, declared for <c>train</c>.</summary>
    public static IReadOnlyList<CliOption> Options { get; } =
    [
        CliOption.Value("unlabelled", "FILE",
            "binary/multiclass (finetune), multitask (its binary/multiclass and tagging tasks), tagging: unlabelled texts from the same source, "
            + "one per line (blank lines skipped; tagging tasks: words split at white space), used semi-supervised (--semi-supervised)."),
        CliOption.OneOf("semi-supervised", ["self-training", "uda"],
            "With --unlabelled. self-training: the model fine-tuned on the labels pseudo-labels the texts it is at least 90% sure of "
            + "(as many per class, at most 1,000 per class; multitask: per binary/multiclass/tagging task; tagging: sentences whose every "
            + "word is that sure, at most 1,000), and a student trained from the same start on labels + pseudo-labels (TF-IDF word-piece "
            + "noise, dropout; tagging: dropout) is kept when it scores better on the validation data. uda: every step "
            + "adds the KL divergence between the predictions on unlabelled texts (sharpened, confident ones only) and on "
            + "TF-IDF-augmented copies of them (tagging: per word, on copies that keep every word's first piece), with "
            + "training-signal annealing of the labelled loss (not for tagging). Both print a line per round or "
            + "validation; same --seed, same model.", "self-training"),
        CliOption.Value("self-training-rounds", "N", "With --unlabelled, self-training: teacher → student rounds, 1-20.", "1"),
        CliOption.Value("pseudo-label-threshold", "P",
            "With --unlabelled: the confidence (top class's probability, 0-1) a pseudo-label needs (tagging: every word of the "
            + "sentence); uda: the confidence below which a text's (tagging: a word's) consistency loss is masked.", "0.9; uda: 0.8"),
        CliOption.OneOf("pseudo-label-selection", ["most-confident", "random"],
            "With --unlabelled, self-training: which confident texts (tagging: sentences) become pseudo-labels when a class "
            + "(tagging: the pool) has more than the cap — the most confident, or drawn at random among all that reach the "
            + "threshold (more varied).", "most-confident"),
    ];

    private RoundLines? _roundLines;

    private SemiSupervisedOption(string path, SemiSupervisedSettings settings) => (Path, Settings) = (path, settings);

    /// <summary>The unlabelled file.</summary>
    public string Path { get; }
    /// <summary>The method and the knobs given.</summary>
    public SemiSupervisedSettings Settings { get; }
    /// <summary>The method.</summary>
    public SemiSupervisedMethod Method => Settings.Method;

    /// <summary>The options given (null without --unlabelled); the others alone are an error.</summary>
    public static SemiSupervisedOption? Read(CliArguments args)
    {
        string? path = args.Optional("unlabelled");
        string? method = args.Choice("semi-supervised");
        int? rounds = args.Int("self-training-rounds", 1, 20);
        double? threshold = args.Double("pseudo-label-threshold", 0, 1 - 1e-9);
        string? selection = args.Choice("pseudo-label-selection");
        if (path is null)
        {
            string? alone = method is not null ? "--semi-supervised" : rounds is not null ? "--self-training-rounds" : threshold is not null ? "--pseudo-label-threshold"
                : selection is not null ? "--pseudo-label-selection" : null;
            return alone is null ? null : throw new CliException($"{alone} needs --unlabelled FILE (unlabelled texts, one per line).");
        }
        var kind = method == "uda" ? SemiSupervisedMethod.Consistency : SemiSupervisedMethod.SelfTraining;
        if (rounds is not null && kind != SemiSupervisedMethod.SelfTraining) throw new CliException("--self-training-rounds applies to --semi-supervised self-training.");
        if (selection is not null && kind != SemiSupervisedMethod.SelfTraining) throw new CliException("--pseudo-label-selection applies to --semi-supervised self-training.");
        var settings = new SemiSupervisedSettings { Method = kind, Rounds = rounds ?? 1, ConfidenceThreshold = threshold };
        return new SemiSupervisedOption(path, selection is null ? settings
            : settings with { Selection = selection == "random" ? PseudoLabelSelection.Random : PseudoLabelSelection.MostConfident });
    }

    /// <summary>Rejects combinations it does not apply to.</summary>
    public void Check(string task, string approach)
    {
        if (task == TaggingCommand.Task) return; // self-training or uda, either approach
        if (approach != "finetune") throw new CliException("--unlabelled applies to --approach finetune (the default).");
        if (task is not ("binary" or "multiclass" or "multitask")) throw new CliException($"--unlabelled applies to --task binary, multiclass, multitask or tagging, not {task}.");
    }

    /// <summary>Reads the file into <paramref name="options"/> (unlabelled data in the text column, settings, round lines on the console).</summary>
    public void ApplyTo(TextFineTuningOptions options, MLContext mlContext)
    {
        options.UnlabeledData = Load(mlContext, options.TextColumnName);
        options.SemiSupervised = Settings;
        options.SemiSupervisedProgress = new RoundLines(tagging: false);
    }

    /// <summary>Reads the file into a tagger's <paramref name="options"/> (each line's words in the words column).</summary>
    public void ApplyTo(TokenClassifierOptions options, MLContext mlContext)
    {
        options.UnlabeledData = Load(mlContext, options.TokensColumnName);
        options.SemiSupervised = Settings;
        options.SemiSupervisedProgress = _roundLines = new RoundLines(tagging: true);
    }

    /// <summary>
    /// After a tagger's self-training: each round's pseudo-labelled words per tag (<see cref="PseudoTagCounts"/>), named with
    /// the trained model's <paramref name="tags"/> (known only once training ends). Nothing without tagging self-training rounds.
    /// </summary>
    public void WriteTagCounts(IReadOnlyList<string> tags)
    {
        foreach (var r in _roundLines?.Reports.Where(r => r.Round > 0 && r.PseudoLabels > 0 && r.PerClass.Count == tags.Count) ?? [])
            Console.WriteLine(PseudoTagCounts.Line(r.Round, r.PerClass, tags));
    }

    /// <summary>The non-blank lines as a one-column view (the column named <paramref name="column"/>).</summary>
    private IDataView Load(MLContext mlContext, string column)
    {
        if (!File.Exists(Path)) throw new CliException($"--unlabelled: file not found: {Path}");
        var lines = File.ReadLines(Path).Where(l => !string.IsNullOrWhiteSpace(l)).Select(l => new UnlabelledLine { Text = l }).ToList();
        if (lines.Count == 0) throw new CliException($"--unlabelled: {Path} has no text (one text per line expected).");
        var schema = SchemaDefinition.Create(typeof(UnlabelledLine));
        schema[nameof(UnlabelledLine.Text)].ColumnName = column;
        Console.WriteLine($"Unlabelled: {lines.Count:N0} texts from {Path} ({(Method == SemiSupervisedMethod.Consistency ? "UDA consistency training" : $"self-training, {Settings.Rounds} round(s), confidence {Settings.Confidence:0.###}{(Settings.Selection == PseudoLabelSelection.Random ? ", random pseudo-labels" : "")}")}).");
        return mlContext.Data.LoadFromEnumerable(lines, schema);
    }

    private sealed class UnlabelledLine
    {
        public string Text { get; set; } = "";
    }

    private sealed class RoundLines(bool tagging) : IProgress<SemiSupervisedRound>
    {
        public List<SemiSupervisedRound> Reports { get; } = [];

        public void Report(SemiSupervisedRound r)
        {
            Reports.Add(r);
            string line = Line(r);
            if (Console.IsOutputRedirected) Console.WriteLine(line); // Spectre would wrap it at 80 columns
            else AnsiConsole.WriteLine(line);
        }

        private string Line(SemiSupervisedRound r) => r.Round == 0
            ? $"self-training round 0 (teacher, labels only): validation score {r.ValidationScore?.ToString("F4") ?? "n/a"}"
            : $"self-training round {r.Round}/{r.Rounds}: {Counts(r)}, validation score "
              + $"{r.ValidationScore?.ToString("F4") ?? "n/a"}{(r.Kept ? "" : r.PseudoLabels == 0 ? " — no confident texts, stopping" : " — not better, keeping the previous round")}";

        private string Counts(SemiSupervisedRound r) =>
            tagging ? $"{r.PseudoLabels} pseudo-labelled sentences ({r.PerClass.Sum()} words)"
            : r.PerTask is { } perTask ? $"{r.PseudoLabels} pseudo-labels ({string.Join("; ", perTask.Select(p => $"{p.Key}: {string.Join(" / ", p.Value)}"))} per class)"
            : $"{r.PseudoLabels} pseudo-labels ({string.Join(" / ", r.PerClass)} per class)";
    }
}
