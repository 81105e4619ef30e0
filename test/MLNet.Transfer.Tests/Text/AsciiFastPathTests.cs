using System.Text;
using MLNet.Transfer.Text;

namespace MLNet.Transfer.Tests.Text;

/// <summary>
/// The ASCII fast path gives exactly the ids of the general pipeline (normalizer, regex pre-tokenizer,
/// Microsoft.ML.Tokenizers WordPiece), for every option that changes its work, on random ASCII text that is full
/// of the hard cases: special tokens in any case, control characters, tabs and newlines, punctuation runs, long
/// words and words with no complete WordPiece split.
/// </summary>
[Category("Unit")]
public class AsciiFastPathTests
{
    private static readonly string[] Fragments =
    [
        "[SEP]", "[sep]", "[Sep]", "[MASK]", "[CLS]", "[PAD]", "[UNK]", "[SE\u0001P]", "[SEP\n]", "##", "#", "unbelievable",
        "antidisestablishmentarianism", new string('a', 120), new string('x', 101), new string('b', 100), "\r\n", "\t",
        "Hello", "WORLD", "don't", "e-mail", "3.14", "$5", "1,000,000", "a_b", "<3", "x^2", "~", "`", "|", "qzxv", "ZZZZ",
    ];

    private static readonly string Characters =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~\t\n\r\u0001\u001f\u007f\u000b\u000c";

    private static IEnumerable<TestCaseData> Options()
    {
        yield return new TestCaseData(new BertWordPieceOptions()).SetName("Uncased");
        yield return new TestCaseData(new BertWordPieceOptions { LowerCase = false }).SetName("Cased");
        yield return new TestCaseData(new BertWordPieceOptions { SplitOnSpecialTokens = false }).SetName("Special tokens as text");
        yield return new TestCaseData(new BertWordPieceOptions { MaxInputCharsPerWord = 7 }).SetName("Seven characters per word");
    }

    [TestCaseSource(nameof(Options))]
    public void RandomAsciiTextEncodesLikeTheGeneralPipeline(BertWordPieceOptions options)
    {
        var vocabulary = TestVocab.BertUncased.Vocabulary;
        var fast = BertWordPieceTokenizer.FromTokens(vocabulary, options);
        var reference = BertWordPieceTokenizer.WithoutFastPath(vocabulary, options);
        Assert.That(fast.HasAsciiFastPath && !reference.HasAsciiFastPath, Is.True);

        var random = new Random(4242);
        for (int i = 0; i < 4_000; i++)
        {
            string text = RandomAscii(random), other = RandomAscii(random);
            Same(fast.Encode(text, 256), reference.Encode(text, 256), text);
            Same(fast.Encode(text, 9), reference.Encode(text, 9), text);
            Same(fast.Encode(text, 12, TruncationStrategy.HeadAndTail, 0.5), reference.Encode(text, 12, TruncationStrategy.HeadAndTail, 0.5), text);
            Assert.That(fast.EncodeWordPieces(text), Is.EqualTo(reference.EncodeWordPieces(text)), Describe(text));
            Same(fast.EncodePair(text, other, 40), reference.EncodePair(text, other, 40), text);
            var windows = fast.EncodeWindows(text, 10, 4);
            var expected = reference.EncodeWindows(text, 10, 4);
            Assert.That(windows, Has.Count.EqualTo(expected.Count), Describe(text));
            for (int w = 0; w < windows.Count; w++) Same(windows[w], expected[w], text);
        }
    }

    [Test]
    public void ACustomContinuationPrefixIsHonoured()
    {
        string[] tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "play", "@@ing", "@@ed", "un", "@@play", "."];
        var options = new BertWordPieceOptions { ContinuingSubwordPrefix = "@@" };
        var fast = BertWordPieceTokenizer.FromTokens(tokens, options);
        var reference = BertWordPieceTokenizer.WithoutFastPath(tokens, options);
        foreach (string text in new[] { "playing unplayed.", "Played PLAYING", "unplayable", "play.ing" })
            Assert.That(fast.EncodeWordPieces(text), Is.EqualTo(reference.EncodeWordPieces(text)), text);
        Assert.That(fast.EncodeWordPieces("unplayed"), Is.EqualTo(new[] { 8, 9, 7 }));
    }

    private static void Same(EncodedText actual, EncodedText expected, string text)
    {
        Assert.That(actual.InputIds, Is.EqualTo(expected.InputIds), Describe(text));
        Assert.That(actual.TokenTypeIds, Is.EqualTo(expected.TokenTypeIds), Describe(text));
    }

    private static string Describe(string text) =>
        "text: " + string.Concat(text.Select(c => c < ' ' || c == '\u007f' ? $"\\u{(int)c:x4}" : c.ToString()));

    private static string RandomAscii(Random random)
    {
        var text = new StringBuilder();
        for (int n = random.Next(0, 60); n > 0; n--)
        {
            int kind = random.Next(100);
            if (kind < 80) text.Append(Characters[random.Next(Characters.Length)]);
            else if (kind < 95) text.Append(Fragments[random.Next(Fragments.Length)]);
            else text.Append(' ');
        }
        return text.ToString();
    }
}
