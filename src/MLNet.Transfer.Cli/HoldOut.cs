namespace MLNet.Transfer.Cli;

/// <summary>
/// The validation hold-out taken from --train when no --valid is given: 10% of the rows, seeded, stratified by label for
/// classification so every class with at least two rows is in both parts (a random 10% of a small or imbalanced file
/// can miss a class and leave the metrics undefined).
/// </summary>
public static class HoldOut
{
    /// <summary>Share of the rows held out.</summary>
    public const double Fraction = 0.1;

    /// <summary>Row indices of the training and validation parts; <paramref name="labelColumn"/> null = not stratified (regression).</summary>
    public static (int[] Train, int[] Valid) Split(TsvFile file, int? labelColumn, int seed)
    {
        var random = new Random(seed);
        var groups = labelColumn is { } c
            ? file.Rows.Select((r, i) => (Key: r[c].Trim().ToLowerInvariant(), Index: i)).GroupBy(p => p.Key).OrderBy(g => g.Key, StringComparer.Ordinal)
                  .Select(g => g.Select(p => p.Index).ToArray()).ToList()
            : [Enumerable.Range(0, file.Rows.Count).ToArray()];
        var train = new List<int>();
        var valid = new List<int>();
        foreach (var group in groups)
        {
            random.Shuffle(group);
            int held = group.Length < 2 ? 0 : Math.Clamp((int)Math.Round(group.Length * Fraction), 1, group.Length - 1);
            valid.AddRange(group[..held]);
            train.AddRange(group[held..]);
        }
        if (valid.Count == 0) throw new CliException($"{file.Path}: too few rows ({file.Rows.Count}) to hold out validation data; give --valid.");
        train.Sort();
        valid.Sort();
        return ([.. train], [.. valid]);
    }
}
