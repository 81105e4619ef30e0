namespace MLNet.Transfer.Cli;

/// <summary>
/// One option of a verb, declared once: its name, the placeholder of its value (none for a flag), the values a choice
/// allows, its default and the paragraph that explains it. Parsing (<see cref="CliArguments"/>), <c>--help</c>
/// (<see cref="CliHelp"/>) and the option tables of docs/cli.md are all generated from these declarations.
/// </summary>
public sealed class CliOption
{
    private CliOption(string name, string? placeholder, IReadOnlyList<string>? choices, string description, string? defaultText)
    {
        if (name.StartsWith('-') || name.Length == 0) throw new ArgumentException($"Option names are declared without dashes: '{name}'.", nameof(name));
        Name = name;
        Placeholder = placeholder;
        Choices = choices;
        Description = description;
        Default = defaultText;
    }

    /// <summary>The name, without the leading "--".</summary>
    public string Name { get; }

    /// <summary>What the value looks like in help (e.g. "N", "DIR", "cls|mean"); null for a flag.</summary>
    public string? Placeholder { get; }

    /// <summary>The values a choice accepts (lower-case; matched case-insensitively), or null for a free value or a flag.</summary>
    public IReadOnlyList<string>? Choices { get; }

    /// <summary>What the option does: one paragraph, wrapped when printed.</summary>
    public string Description { get; }

    /// <summary>The default, as shown in help ("(default: ...)"), or null when the description says it or there is none.</summary>
    public string? Default { get; }

    /// <summary>Whether the option takes no value.</summary>
    public bool IsFlag => Placeholder is null;

    /// <summary>"--name" or "--name PLACEHOLDER", as help shows it.</summary>
    public string Synopsis => IsFlag ? $"--{Name}" : $"--{Name} {Placeholder}";

    /// <summary>An option that takes no value.</summary>
    public static CliOption Flag(string name, string description) => new(name, null, null, description, null);

    /// <summary>An option with a free value (checked by the command that reads it).</summary>
    public static CliOption Value(string name, string placeholder, string description, string? defaultText = null) =>
        new(name, placeholder, null, description, defaultText);

    /// <summary>An option whose value is one of <paramref name="choices"/> (shown as "a|b|c").</summary>
    public static CliOption OneOf(string name, string[] choices, string description, string? defaultText = null) =>
        new(name, string.Join('|', choices), choices, description, defaultText);
}
