namespace MLNet.Transfer.Cli;

/// <summary>
/// A self-training round's pseudo-tagged words per tag as one console line, with the share of words that carry an entity
/// (or any non-"O") tag: sentences that are nearly all "O" teach a named-entity student little.
/// </summary>
public static class PseudoTagCounts
{
    /// <summary>
    /// "self-training round R pseudo-labelled words per tag: O n, B-person n, ...; not O: n of N (p%)"; tags with no word
    /// are left out.
    /// </summary>
    /// <param name="round">The round number.</param>
    /// <param name="perTag">Words per tag, in the model's tag order.</param>
    /// <param name="tags">The model's tags.</param>
    public static string Line(int round, IReadOnlyList<int> perTag, IReadOnlyList<string> tags)
    {
        if (perTag.Count != tags.Count) throw new ArgumentException($"{perTag.Count} counts for {tags.Count} tags.", nameof(perTag));
        int total = perTag.Sum(), notO = Enumerable.Range(0, tags.Count).Where(t => tags[t] != "O").Sum(t => perTag[t]);
        string counts = string.Join(", ", Enumerable.Range(0, tags.Count).Where(t => perTag[t] > 0).Select(t => $"{tags[t]} {perTag[t]}"));
        string share = total == 0 ? "" : $" ({100.0 * notO / total:F1}%)";
        return $"self-training round {round} pseudo-labelled words per tag: {counts}; not O: {notO} of {total}{share}";
    }
}
