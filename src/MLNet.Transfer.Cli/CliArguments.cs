namespace MLNet.Transfer.Cli;

/// <summary>A bad command line or input: printed as one line, exit code 2.</summary>
public sealed class CliException(string message) : Exception(message);

/// <summary>
/// A command asked for an option its <see cref="CliVerb"/> does not declare (or as the wrong kind): a programming error,
/// never the user's, so it is not one of the exit-code-2 errors (tests run every verb to catch it).
/// </summary>
public sealed class UndeclaredOptionException(string message) : Exception(message);

/// <summary>
/// Parsed "--name value" / "--flag" arguments of one verb, checked against the verb's declared options: an option the verb
/// does not declare is an error at parse time, and which options are flags comes from the declaration.
/// </summary>
public sealed class CliArguments
{
    private readonly CliVerb _verb;
    private readonly Dictionary<string, List<string>> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    /// <summary>Parses <paramref name="args"/> (the arguments after the verb) against <paramref name="verb"/>'s options.</summary>
    /// <exception cref="CliException">An argument is not an option, an option is not declared, or a value is missing.</exception>
    public CliArguments(CliVerb verb, IEnumerable<string> args)
    {
        _verb = verb;
        var list = args.ToList();
        for (int i = 0; i < list.Count; i++)
        {
            string arg = list[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2)
                throw new CliException($"Unexpected argument '{arg}'. Options look like --name value.");
            string name = arg[2..];
            var option = verb.Find(name) ?? throw new CliException($"Unknown option --{name} for '{verb.Name}'. Run 'mlnet-transfer {verb.Name} --help'.");
            if (option.IsFlag) { _flags.Add(name); continue; }
            if (i + 1 >= list.Count) throw new CliException($"Option --{name} needs a value.");
            if (!_values.TryGetValue(name, out var values)) _values[name] = values = [];
            values.Add(list[++i]);
        }
    }

    /// <summary>The verb these arguments belong to.</summary>
    public CliVerb Verb => _verb;

    /// <summary>Every option the command has asked for so far (given or not): lets tests check each declared option is read.</summary>
    public IReadOnlySet<string> AskedFor => _used;

    /// <summary>Whether a flag was given.</summary>
    public bool Flag(string name) { Declared(name, flag: true); return _flags.Contains(name); }

    /// <summary>The value of an optional option (last one wins).</summary>
    public string? Optional(string name) { Declared(name, flag: false); return _values.TryGetValue(name, out var v) ? v[^1] : null; }

    /// <summary>Every value of a repeatable option.</summary>
    public IReadOnlyList<string> All(string name) { Declared(name, flag: false); return _values.TryGetValue(name, out var v) ? v : []; }

    /// <summary>The value of a required option.</summary>
    public string Required(string name) => Optional(name) ?? throw new CliException($"Missing required option --{name}.");

    /// <summary>An optional integer option within [min, max].</summary>
    public int? Int(string name, int min = int.MinValue, int max = int.MaxValue)
    {
        string? text = Optional(name);
        if (text is null) return null;
        if (!int.TryParse(text, out int value) || value < min || value > max)
            throw new CliException($"--{name} must be an integer between {min} and {max}; got '{text}'.");
        return value;
    }

    /// <summary>An optional number option within [min, max].</summary>
    public double? Double(string name, double min = double.MinValue, double max = double.MaxValue)
    {
        string? text = Optional(name);
        if (text is null) return null;
        if (!double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double value) || value < min || value > max)
            throw new CliException($"--{name} must be a number between {min} and {max}; got '{text}'.");
        return value;
    }

    /// <summary>
    /// An optional choice (case-insensitive), returned lower-case: one of the option's declared choices, or of
    /// <paramref name="only"/> (a subset of them) where this use of the verb accepts fewer.
    /// </summary>
    public string? Choice(string name, params string[] only)
    {
        var declared = Declared(name, flag: false).Choices ?? throw new UndeclaredOptionException($"--{name} of '{_verb.Name}' is not declared with CliOption.OneOf.");
        if (only.Except(declared).FirstOrDefault() is { } extra)
            throw new UndeclaredOptionException($"--{name} of '{_verb.Name}' does not declare the choice '{extra}'.");
        var choices = only.Length > 0 ? only : declared;
        string? text = Optional(name);
        if (text is null) return null;
        string lower = text.ToLowerInvariant();
        if (!choices.Contains(lower)) throw new CliException($"--{name} must be one of {string.Join(", ", choices)}; got '{text}'.");
        return lower;
    }

    /// <summary>
    /// Fails on declared options that this use of the verb never read (e.g. --head without --task tagging);
    /// <paramref name="use"/> names the use in the message (e.g. "--task binary").
    /// </summary>
    public void RejectUnused(string? use = null)
    {
        var unused = _values.Keys.Concat(_flags).FirstOrDefault(k => !_used.Contains(k));
        if (unused is not null)
            throw new CliException($"Option --{unused} does not apply to '{_verb.Name}{(use is null ? "" : " " + use)}'. Run 'mlnet-transfer {_verb.Name} --help'.");
    }

    private CliOption Declared(string name, bool flag)
    {
        var option = _verb.Find(name) ?? throw new UndeclaredOptionException($"'{_verb.Name}' reads --{name}, which its CliVerb does not declare.");
        if (option.IsFlag != flag)
            throw new UndeclaredOptionException($"'{_verb.Name}' reads --{name} as {(flag ? "a flag" : "an option with a value")}, but it is declared {(option.IsFlag ? "as a flag" : "with a value")}.");
        _used.Add(name);
        return option;
    }
}
