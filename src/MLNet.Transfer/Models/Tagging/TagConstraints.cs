namespace MLNet.Transfer.Models.Tagging;

/// <summary>
/// Which tag sequences are valid in the BIO scheme: I-X may only follow B-X or I-X (so never O, the start, or a tag of
/// another type). Tags without a B-/I- prefix (O, or plain tags such as part-of-speech) are unconstrained.
/// </summary>
public static class TagConstraints
{
    /// <summary>The entity type of a BIO tag ("B-person" → "person"), or null for O and tags without a B-/I- prefix.</summary>
    public static string? EntityType(string tag) =>
        tag.Length > 2 && (tag[0] is 'B' or 'I') && tag[1] == '-' ? tag[2..] : null;

    /// <summary>Whether <paramref name="tag"/> is an inside tag (I-X).</summary>
    public static bool IsInside(string tag) => tag.Length > 2 && tag[0] == 'I' && tag[1] == '-';

    /// <summary>Whether the tag set labels spans in the BIO scheme (some tag is B-X or I-X), as entity tagging does.</summary>
    public static bool IsBio(IEnumerable<string> tags) => tags.Any(t => EntityType(t) is not null);

    /// <summary>allowed[from, to]: whether <paramref name="tags"/>[to] may follow <paramref name="tags"/>[from].</summary>
    public static bool[,] Transitions(IReadOnlyList<string> tags)
    {
        var allowed = new bool[tags.Count, tags.Count];
        for (int from = 0; from < tags.Count; from++)
            for (int to = 0; to < tags.Count; to++)
                allowed[from, to] = !IsInside(tags[to]) || EntityType(tags[from]) == EntityType(tags[to]);
        return allowed;
    }

    /// <summary>allowed[tag]: whether a sentence may start with it (not with I-X).</summary>
    public static bool[] Starts(IReadOnlyList<string> tags) => tags.Select(t => !IsInside(t)).ToArray();
}
