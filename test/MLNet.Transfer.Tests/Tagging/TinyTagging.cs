using MLNet.Transfer.Text.Tagging;

namespace MLNet.Transfer.Tests.Tagging;

/// <summary>Synthetic NER sentences where the entities are learnable from the words themselves (for tiny random models).</summary>
internal static class TinyTagging
{
    private static readonly string[] Cities = ["paris", "london", "berlin", "madrid"];
    private static readonly string[] People = ["alice", "bob", "carol", "dave"];
    private static readonly string[] Fillers = ["i", "saw", "went", "to", "with", "today", "the", "and", "then", "we", "met", "in"];

    /// <summary>The tag set, "O" first.</summary>
    public static readonly string[] Tags = ["O", "B-location", "I-location", "B-person", "I-person"];

    /// <summary><paramref name="count"/> seeded sentences of 4–12 words with 1–3 entities (some two words long: "new york", "mary ann").</summary>
    public static List<TaggedSentence> Sentences(int count, int seed)
    {
        var r = new Random(seed);
        var result = new List<TaggedSentence>();
        for (int s = 0; s < count; s++)
        {
            var tokens = new List<string>();
            var tags = new List<string>();
            int length = 4 + r.Next(9);
            while (tokens.Count < length)
            {
                int pick = r.Next(10);
                if (pick == 0) { tokens.AddRange(["new", "york"]); tags.AddRange(["B-location", "I-location"]); }
                else if (pick == 1) { tokens.AddRange(["mary", "ann"]); tags.AddRange(["B-person", "I-person"]); }
                else if (pick == 2) { tokens.Add(Cities[r.Next(Cities.Length)]); tags.Add("B-location"); }
                else if (pick == 3) { tokens.Add(People[r.Next(People.Length)]); tags.Add("B-person"); }
                else { tokens.Add(Fillers[r.Next(Fillers.Length)]); tags.Add("O"); }
            }
            result.Add(new TaggedSentence(tokens.ToArray(), tags.ToArray(), s + 1));
        }
        return result;
    }

    /// <summary>The words of <see cref="Sentences"/>(<paramref name="count"/>, <paramref name="seed"/>): an unlabelled pool of sentences.</summary>
    public static IReadOnlyList<string>[] Words(int count, int seed) => [.. Sentences(count, seed).Select(s => (IReadOnlyList<string>)s.Tokens)];

    /// <summary>
    /// Sentences whose only entity cue is capitalisation: the same words are a person ("Bob") or not ("bob") by case
    /// alone, so an uncased encoder cannot tell them apart without casing features.
    /// </summary>
    public static List<TaggedSentence> CasedSentences(int count, int seed)
    {
        var r = new Random(seed);
        var result = new List<TaggedSentence>();
        for (int s = 0; s < count; s++)
        {
            int length = 4 + r.Next(6);
            var tokens = new string[length];
            var tags = new string[length];
            for (int w = 0; w < length; w++)
            {
                string word = People[r.Next(People.Length)];
                bool person = r.Next(3) == 0;
                tokens[w] = person ? char.ToUpperInvariant(word[0]) + word[1..] : word;
                tags[w] = person ? "B-person" : "O";
            }
            result.Add(new TaggedSentence(tokens, tags, s + 1));
        }
        return result;
    }
}
