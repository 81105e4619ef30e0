namespace MLNet.Transfer.Training.Tagging;

/// <summary>One entity (chunk): its type and word range [Start, End).</summary>
/// <param name="Type">Entity type ("person"; the whole tag for tags without a prefix).</param>
/// <param name="Start">First word.</param>
/// <param name="End">One past the last word.</param>
public readonly record struct EntitySpan(string Type, int Start, int End);

/// <summary>
/// Entity spans of a tag sequence by conlleval's rules (as seqeval's default mode): BIO, IOB1, IOBES and BILOU prefixes;
/// an I-X after O or after another type starts a new entity, as in conlleval. Tags without a prefix (e.g. part-of-speech
/// tags) are one-word entities of their own type; "O" is outside.
/// </summary>
public static class EntitySpans
{
    /// <summary>The entities of one sentence's tags, in order.</summary>
    public static List<EntitySpan> Extract(IReadOnlyList<string> tags)
    {
        var spans = new List<EntitySpan>();
        char prevTag = 'O';
        string prevType = "";
        int start = -1;
        for (int i = 0; i <= tags.Count; i++)
        {
            var (tag, type) = i < tags.Count ? Split(tags[i]) : ('O', "");
            if (start >= 0 && EndOfChunk(prevTag, tag, prevType, type))
            {
                spans.Add(new EntitySpan(prevType, start, i));
                start = -1;
            }
            if (StartOfChunk(prevTag, tag, prevType, type)) start = i;
            (prevTag, prevType) = (tag, type);
        }
        return spans;
    }

    /// <summary>("B", "person") for "B-person"; ('O', "") for "O"; ('S', tag) for a tag without a known prefix. L → E, U → S (BILOU).</summary>
    internal static (char Tag, string Type) Split(string tag)
    {
        if (tag == "O" || tag.Length == 0) return ('O', "");
        if (tag.Length > 2 && tag[1] == '-' && tag[0] is 'B' or 'I' or 'E' or 'S' or 'L' or 'U')
            return (tag[0] switch { 'L' => 'E', 'U' => 'S', var c => c }, tag[2..]);
        return ('S', tag);
    }

    private static bool EndOfChunk(char prevTag, char tag, string prevType, string type) =>
        prevTag is 'E' or 'S'
        || (prevTag is 'B' or 'I' && tag is 'B' or 'S' or 'O')
        || (prevTag != 'O' && prevType != type);

    private static bool StartOfChunk(char prevTag, char tag, string prevType, string type) =>
        tag is 'B' or 'S'
        || (prevTag is 'E' or 'S' or 'O' && tag is 'E' or 'I')
        || (tag != 'O' && prevType != type);
}
