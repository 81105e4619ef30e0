using System.Text;

namespace MLNet.Transfer.Cli;

/// <summary>
/// Help rendered from the verb definitions: the top-level usage (every verb with its summary), each verb's
/// <c>--help</c> (usage, aligned and wrapped options, notes) and the markdown option tables of docs/cli.md.
/// </summary>
public static class CliHelp
{
    /// <summary>Width help text is wrapped to.</summary>
    public const int Width = 110;

    /// <summary>Options wider than this start their description on the next line.</summary>
    private const int NameColumn = 30;

    /// <summary>The options every verb takes, handled by <see cref="CliApp"/> before parsing.</summary>
    public static IReadOnlyList<CliOption> CommonOptions { get; } =
    [
        CliOption.Flag("verbose", "On an error, also print the stack trace."),
        CliOption.Flag("help", "Print this help (also -h)."),
    ];

    /// <summary>The top-level usage: the verbs with their summaries.</summary>
    public static string TopLevel(IEnumerable<CliVerb> verbs)
    {
        var list = verbs.ToList();
        int width = list.Max(v => v.Name.Length) + 3;
        var text = new StringBuilder("mlnet-transfer — transfer learning for NLP in ML.NET\n\nVerbs:\n");
        foreach (var verb in list) text.Append("  ").Append(verb.Name.PadRight(width)).Append(verb.Summary).Append('\n');
        text.Append("Run 'mlnet-transfer <verb> --help' for a verb's options; 'mlnet-transfer --version' prints the version.");
        return text.ToString();
    }

    /// <summary>A verb's <c>--help</c>: summary, usage lines, every option (aligned, wrapped) and the notes.</summary>
    public static string Render(CliVerb verb)
    {
        var text = new StringBuilder($"mlnet-transfer {verb.Name}: {verb.Summary}\n\nUsage:\n");
        foreach (string line in verb.Usage.ReplaceLineEndings("\n").Split('\n')) text.Append("  ").Append(line).Append('\n');
        text.Append("\nOptions:\n");
        var options = verb.Options.Concat(CommonOptions).ToList();
        int column = Math.Min(NameColumn, options.Max(o => o.Synopsis.Length)) + 4;
        foreach (var option in options)
        {
            string name = "  " + option.Synopsis;
            var lines = Wrap(Describe(option), Width - column);
            if (name.Length + 2 > column) text.Append(name).Append('\n');
            else { text.Append(name.PadRight(column)).Append(lines[0]).Append('\n'); lines = lines.Skip(1).ToList(); }
            foreach (string line in lines) text.Append(new string(' ', column)).Append(line).Append('\n');
        }
        foreach (string note in verb.Notes)
        {
            text.Append('\n');
            foreach (string line in Wrap(note, Width - 2)) text.Append("  ").Append(line).Append('\n');
        }
        return text.ToString().TrimEnd('\n');
    }

    /// <summary>
    /// docs/cli.md's option reference: per verb, a table of every option with its description, generated from the
    /// definitions (a test compares the committed file with it).
    /// </summary>
    public static string Markdown(IEnumerable<CliVerb> verbs)
    {
        var text = new StringBuilder();
        foreach (var verb in verbs)
        {
            text.Append($"### {verb.Name}\n\n{Escape(char.ToUpperInvariant(verb.Summary[0]) + verb.Summary[1..])}.\n\n| option | what it does |\n|---|---|\n");
            foreach (var option in verb.Options)
                text.Append($"| `{option.Synopsis.Replace("|", "\\|")}` | {Escape(Describe(option))} |\n");
            text.Append('\n');
        }
        return text.ToString().TrimEnd('\n') + "\n";
    }

    private static string Describe(CliOption option) =>
        Collapse(option.Description) + (option.Default is { } d ? $" Default: {d}." : "");

    private static string Escape(string text) => text.Replace("|", "\\|").Replace("<", "&lt;");

    private static string Collapse(string text) => string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));

    /// <summary>Greedy word wrap of one paragraph to <paramref name="width"/> columns (a longer word gets its own line).</summary>
    public static List<string> Wrap(string paragraph, int width)
    {
        var lines = new List<string>();
        var line = new StringBuilder();
        foreach (string word in Collapse(paragraph).Split(' '))
        {
            if (line.Length > 0 && line.Length + 1 + word.Length > width) { lines.Add(line.ToString()); line.Clear(); }
            if (line.Length > 0) line.Append(' ');
            line.Append(word);
        }
        lines.Add(line.ToString());
        return lines;
    }
}
