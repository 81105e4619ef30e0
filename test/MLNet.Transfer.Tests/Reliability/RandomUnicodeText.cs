using System.Text;

namespace MLNet.Transfer.Tests.Reliability;

/// <summary>Hostile random text for fuzz tests (shared by the tokenizer and the embedding fuzzers).</summary>
internal static class RandomUnicodeText
{
    /// <summary>Random text mixing ASCII words, any UTF-16 unit (lone surrogates included), astral characters,
    /// controls, marks, CJK, emoji and literal special tokens; lengths 0..<paramref name="maxLength"/>, most short.</summary>
    public static string Next(Random random, int maxLength = 5_000)
    {
        int length = (int)(maxLength * Math.Pow(random.NextDouble(), 3));
        var builder = new StringBuilder(length + 8);
        while (builder.Length < length)
        {
            switch (random.Next(12))
            {
                case 0: builder.Append((char)random.Next(0, 0x10000)); break;             // any unit, lone surrogates too
                case 1: builder.Append(char.ConvertFromUtf32(random.Next(0x10000, 0x110000))); break; // astral, mostly unassigned
                case 2: builder.Append(random.Next(2) == 0 ? '\uD83D' : '\uDE00'); break; // half an emoji
                case 3: builder.Append((char)random.Next(0, 0x20)); break;                 // control characters
                case 4: builder.Append('e').Append((char)random.Next(0x300, 0x370)); break; // combining marks
                case 5: builder.Append((char)random.Next(0x4E00, 0xA000)); break;          // CJK
                case 6: builder.Append("😀👍🏽🇩🇪"); break;
                case 7: builder.Append(random.Next(3) switch { 0 => "[SEP]", 1 => "[cls]", _ => "[MASK" }); break;
                case 8: builder.Append(new string('x', random.Next(90, 130))); break;     // words near the 100-char limit
                default: builder.Append(random.Next(4) == 0 ? " " : ((char)random.Next('A', 'z' + 1)).ToString()); break;
            }
        }
        return builder.ToString();
    }
}
