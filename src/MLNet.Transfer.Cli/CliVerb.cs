namespace MLNet.Transfer.Cli;

/// <summary>
/// The one definition of a verb: its name, a one-line summary (the top-level usage), its usage lines, every option it
/// accepts, free-text notes (paragraphs, wrapped when printed) and the code that runs it. Adding an option is a one-place
/// change: declare it in the verb's <see cref="Options"/> and read it in <see cref="Run"/> through <see cref="CliArguments"/>;
/// help, parsing and the docs/cli.md option table follow (CliDefinitionTests fail until docs/cli.md is regenerated).
/// </summary>
/// <param name="Name">The verb as typed ("train").</param>
/// <param name="Summary">One line for the list of verbs.</param>
/// <param name="Usage">Usage lines, printed as written (each starting "mlnet-transfer &lt;verb&gt;").</param>
/// <param name="Options">Every option the verb accepts, in help order.</param>
/// <param name="Notes">Paragraphs printed after the options.</param>
/// <param name="Run">Runs the verb on its parsed arguments and returns the exit code.</param>
public sealed record CliVerb(string Name, string Summary, string Usage, IReadOnlyList<CliOption> Options, IReadOnlyList<string> Notes, Func<CliArguments, int> Run)
{
    /// <summary>The declared option called <paramref name="name"/> (without "--"), or null.</summary>
    public CliOption? Find(string name) => Options.FirstOrDefault(o => o.Name == name);

    /// <summary>The verb's <c>--help</c> text.</summary>
    public string Help => CliHelp.Render(this);
}
