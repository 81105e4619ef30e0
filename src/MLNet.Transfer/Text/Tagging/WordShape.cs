namespace MLNet.Transfer.Text.Tagging;

/// <summary>
/// A word's capitalisation class — the casing an uncased encoder never sees, and the strongest entity cue in English
/// ("Apple" vs "apple"): no letters, lower case, Title case, UPPER case, or mixed (e.g. "iPhone", "McDonald").
/// </summary>
public static class WordShape
{
    /// <summary>Number of classes.</summary>
    public const int Count = 5;
    /// <summary>No letters (numbers, punctuation, emoji).</summary>
    public const int NoLetters = 0;
    /// <summary>Every letter lower case.</summary>
    public const int Lower = 1;
    /// <summary>First letter upper case, the others lower (one capital letter counts as Title).</summary>
    public const int Title = 2;
    /// <summary>Two or more letters, all upper case.</summary>
    public const int Upper = 3;
    /// <summary>Any other mix of cases.</summary>
    public const int Mixed = 4;

    /// <summary>The class of <paramref name="word"/>.</summary>
    public static int Of(string word)
    {
        int letters = 0, upper = 0;
        bool firstUpper = false;
        foreach (char c in word)
        {
            if (!char.IsLetter(c)) continue;
            if (char.IsUpper(c))
            {
                upper++;
                if (letters == 0) firstUpper = true;
            }
            letters++;
        }
        return letters == 0 ? NoLetters
            : upper == 0 ? Lower
            : firstUpper && upper == 1 ? Title
            : upper == letters ? Upper
            : Mixed;
    }
}
