namespace MLNet.Transfer.Cli;

/// <summary>A bad command line or input: printed as one line, exit code 2.</summary>
public sealed class CliException(string message) : Exception(message);

/// <summary>Parsed "--name value" / "--flag" arguments of one verb; unknown or malformed ones are errors.</summary>
public sealed class CliArguments
{
    private readonly Dictionary<string, List<string>> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    /// <summary>Parses <paramref name="args"/>; <paramref name="flags"/> are the options that take no value.</summary>
    public CliArguments(IEnumerable<string> args, IReadOnlySet<string> flags)
    {
        var list = args.ToList();
        for (int i = 0; i < list.Count; i++)
        {
            string arg = list[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2)
                throw new CliException($"Unexpected argument '{arg}'. Options look like --name value.");
            string name = arg[2..];
            if (flags.Contains(name)) { _flags.Add(name); continue; }
            if (i + 1 >= list.Count) throw new CliException($"Option --{name} needs a value.");
            if (!_values.TryGetValue(name, out var values)) _values[name] = values = [];
            values.Add(list[++i]);
        }
    }

    /// <summary>Whether a flag was given.</summary>
    public bool Flag(string name) { _used.Add(name); return _flags.Contains(name); }

    /// <summary>The value of an optional option (last one wins).</summary>
    public string? Optional(string name) { _used.Add(name); return _values.TryGetValue(name, out var v) ? v[^1] : null; }

    /// <summary>Every value of a repeatable option.</summary>
    public IReadOnlyList<string> All(string name) { _used.Add(name); return _values.TryGetValue(name, out var v) ? v : []; }

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

    /// <summary>An optional option restricted to <paramref name="choices"/> (case-insensitive), returned lower-case.</summary>
    public string? Choice(string name, params string[] choices)
    {
        string? text = Optional(name);
        if (text is null) return null;
        string lower = text.ToLowerInvariant();
        if (!choices.Contains(lower)) throw new CliException($"--{name} must be one of {string.Join(", ", choices)}; got '{text}'.");
        return lower;
    }

    /// <summary>Fails on options the verb never asked for (typos such as --epoch).</summary>
    public void RejectUnknown(string verb)
    {
        var unknown = _values.Keys.Concat(_flags).FirstOrDefault(k => !_used.Contains(k));
        if (unknown is not null) throw new CliException($"Unknown option --{unknown} for '{verb}'. Run 'mlnet-transfer {verb} --help'.");
    }
}
