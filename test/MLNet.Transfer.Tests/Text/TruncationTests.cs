using MLNet.Transfer.Text;

namespace MLNet.Transfer.Tests.Text;

/// <summary>
/// Truncation, pairs and windows on a made-up vocabulary where each letter is one word piece:
/// [PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3 [MASK]=4, "a"=5 … "z"=30.
/// </summary>
[Category("Unit")]
public class TruncationTests
{
    private const int Cls = 2, Sep = 3;
    private static readonly BertWordPieceTokenizer Tokenizer = TestVocab.Small();

    private static string Letters(string letters) => string.Join(' ', letters.ToCharArray());

    private static int[] Ids(string letters) => [.. letters.Select(TestVocab.SmallId)];

    private static int[] Single(string letters) => [Cls, .. Ids(letters), Sep];

    private static int[] Pair(string first, string second) => [Cls, .. Ids(first), Sep, .. Ids(second), Sep];

    [Test]
    public void SmallVocabularyHasOnePiecePerLetter()
    {
        Assert.That(Tokenizer.EncodeWordPieces("A b c"), Is.EqualTo(new[] { 5, 6, 7 }));
        Assert.That(Tokenizer.EncodeWordPieces("ab"), Is.EqualTo(new[] { 1 }), "no '##b' piece, so the word is unknown");
    }

    [TestCase(TruncationStrategy.Head, "abcd")]
    [TestCase(TruncationStrategy.Tail, "ghij")]
    [TestCase(TruncationStrategy.HeadAndTail, "ahij")] // budget 4: head round(4 × 0.25) = 1, tail 3
    public void SingleTextKeepsTheChosenPieces(TruncationStrategy strategy, string kept)
    {
        var encoded = Tokenizer.Encode(Letters("abcdefghij"), maxTokens: 6, strategy);

        Assert.That(encoded.InputIds, Is.EqualTo(Single(kept)));
        Assert.That(encoded.TokenTypeIds, Is.All.EqualTo(0));
    }

    [Test]
    public void HeadFractionIsAParameter()
    {
        var half = Tokenizer.Encode(Letters("abcdefghij"), 6, TruncationStrategy.HeadAndTail, headFraction: 0.5);
        var allTail = Tokenizer.Encode(Letters("abcdefghij"), 6, TruncationStrategy.HeadAndTail, headFraction: 0);

        Assert.That(half.InputIds, Is.EqualTo(Single("abij")));
        Assert.That(allTail.InputIds, Is.EqualTo(Single("ghij")));
    }

    [Test]
    public void HeadAndTailAt512KeepsFirst128AndLast382Pieces()
    {
        var random = new Random(7);
        string letters = new([.. Enumerable.Range(0, 900).Select(_ => (char)('a' + random.Next(26)))]);
        int[] pieces = Ids(letters);

        var encoded = Tokenizer.Encode(Letters(letters), 512, TruncationStrategy.HeadAndTail);

        Assert.That(encoded.Length, Is.EqualTo(512));
        Assert.That(encoded.InputIds[1..129], Is.EqualTo(pieces[..128]));
        Assert.That(encoded.InputIds[129..511], Is.EqualTo(pieces[^382..]));
    }

    [TestCase(TruncationStrategy.Head)]
    [TestCase(TruncationStrategy.Tail)]
    [TestCase(TruncationStrategy.HeadAndTail)]
    public void TextThatFitsIsNotTruncated(TruncationStrategy strategy)
    {
        Assert.That(Tokenizer.Encode(Letters("abcd"), 6, strategy).InputIds, Is.EqualTo(Single("abcd")));
    }

    [Test]
    public void PairTruncatesTheLongerTextFirst()
    {
        var encoded = Tokenizer.EncodePair(Letters("abcdefgh"), Letters("xyz"), maxTokens: 10);

        Assert.That(encoded.InputIds, Is.EqualTo(Pair("abcd", "xyz")));
        Assert.That(encoded.TokenTypeIds, Is.EqualTo(new[] { 0, 0, 0, 0, 0, 0, 1, 1, 1, 1 }));
    }

    [Test]
    public void PairOfLongTextsSharesTheBudgetFirstKeepsTheOddPiece()
    {
        var encoded = Tokenizer.EncodePair(Letters("abcdefgh"), Letters("uvwxyz"), maxTokens: 10);

        Assert.That(encoded.InputIds, Is.EqualTo(Pair("abcd", "uvw")));
    }

    [Test]
    public void PairTruncationEqualsRemovingOnePieceAtATimeFromTheLonger()
    {
        for (int first = 0; first <= 8; first++)
        for (int second = 0; second <= 8; second++)
        for (int maxTokens = 3; maxTokens <= 20; maxTokens++)
        {
            // Hugging Face's loop: drop from the longer, from the second on a tie.
            int keepFirst = first, keepSecond = second;
            while (keepFirst + keepSecond > maxTokens - 3)
            {
                if (keepFirst > keepSecond) keepFirst--;
                else keepSecond--;
            }

            string a = new string('a', first), b = new string('b', second);
            var encoded = Tokenizer.EncodePair(Letters(a), Letters(b), maxTokens);

            Assert.That(encoded.InputIds, Is.EqualTo(Pair(a[..keepFirst], b[..keepSecond])),
                $"first={first} second={second} maxTokens={maxTokens}");
        }
    }

    [Test]
    public void WindowsStartStrideApartAndEndAtTheLastPiece()
    {
        var windows = Tokenizer.EncodeWindows(Letters("abcdefghij"), windowTokens: 6, stride: 3);

        Assert.That(windows.Select(w => w.InputIds), Is.EqualTo(new[]
        {
            Single("abcd"),
            Single("defg"),
            Single("ghij"),
        }));
        Assert.That(windows.SelectMany(w => w.TokenTypeIds), Is.All.EqualTo(0));
    }

    [TestCase("")]
    [TestCase("a b c")]
    [TestCase("a b c d")]
    public void TextThatFitsGivesOneWindow(string text)
    {
        var windows = Tokenizer.EncodeWindows(text, windowTokens: 6, stride: 2);

        Assert.That(windows, Has.Count.EqualTo(1));
        Assert.That(windows[0].InputIds, Is.EqualTo(Tokenizer.Encode(text, 6).InputIds));
    }

    [Test]
    public void WindowsCoverEveryPieceForAnyLengthAndStride()
    {
        var random = new Random(11);
        for (int trial = 0; trial < 300; trial++)
        {
            int length = random.Next(0, 60), windowTokens = random.Next(3, 20), stride = random.Next(1, windowTokens - 1);
            string letters = new([.. Enumerable.Range(0, length).Select(_ => (char)('a' + random.Next(26)))]);
            int[] pieces = Ids(letters);

            var windows = Tokenizer.EncodeWindows(Letters(letters), windowTokens, stride);

            string context = $"length={length} window={windowTokens} stride={stride}";
            var covered = new bool[length];
            for (int k = 0; k < windows.Count; k++)
            {
                int[] ids = windows[k].InputIds;
                Assert.That(ids.Length, Is.LessThanOrEqualTo(windowTokens), context);
                Assert.That((ids[0], ids[^1]), Is.EqualTo((Cls, Sep)), context);
                int start = k * stride;
                Assert.That(ids[1..^1], Is.EqualTo(pieces[start..(start + ids.Length - 2)]), context);
                for (int i = start; i < start + ids.Length - 2; i++)
                    covered[i] = true;
            }
            Assert.That(covered, Is.All.True, context);
            Assert.That(windows.Count == 1 || (windows.Count - 2) * stride + windowTokens - 2 < length, Is.True, "no superfluous window: " + context);
        }
    }

    [Test]
    public void WindowArgumentsOutOfRangeAreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Tokenizer.EncodeWindows("a", windowTokens: 2, stride: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Tokenizer.EncodeWindows("a", windowTokens: 6, stride: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Tokenizer.EncodeWindows("a", windowTokens: 6, stride: 5));
    }
}
