using MLNet.Transfer.Tests.Text;
using MLNet.Transfer.Text.Tagging;

namespace MLNet.Transfer.Tests.Tagging;

/// <summary>Word-piece alignment: labels on first pieces, windows for long sentences, stitching back to words.</summary>
[Category("Unit")]
public class WordPieceAlignmentTests
{
    private static readonly MLNet.Transfer.Text.BertWordPieceTokenizer Tokenizer = TestVocab.BertUncased;

    [Test]
    public void EachWordIsLabelledOnItsFirstPieceAndOtherPiecesCarryNoLabel()
    {
        string[] words = ["Playing", "tennis", "unbelievably"];
        var windows = WordPieceAlignment.Windows(Tokenizer, words, 64);
        Assert.That(windows, Has.Count.EqualTo(1));
        var w = windows[0];
        var pieces = words.Select(Tokenizer.EncodeWordPieces).ToArray();
        Assert.That(pieces[2], Has.Length.GreaterThan(1), "the test needs a word of several pieces");
        // [CLS] pieces(w0) pieces(w1) pieces(w2) [SEP]
        int[] expectedFirsts = [1, 1 + pieces[0].Length, 1 + pieces[0].Length + pieces[1].Length];
        Assert.That(w.FirstPieces, Is.EqualTo(expectedFirsts));
        Assert.That(w.Tokens.InputIds[0], Is.EqualTo(Tokenizer.ClsId));
        Assert.That(w.Tokens.InputIds[^1], Is.EqualTo(Tokenizer.SepId));
        Assert.That(w.Tokens.Length, Is.EqualTo(2 + pieces.Sum(p => p.Length)));
        for (int i = 0; i < words.Length; i++) Assert.That(w.Tokens.InputIds[w.FirstPieces[i]], Is.EqualTo(pieces[i][0]));
        Assert.That((w.StartWord, w.FirstWord, w.OwnedWords), Is.EqualTo((0, 0, 3)));
    }

    [Test]
    public void ALongSentenceIsSplitIntoWindowsThatOwnEveryWordExactlyOnceAndFitTheBudget()
    {
        var words = Enumerable.Range(0, 200).Select(i => i % 7 == 0 ? "unbelievably" : $"word{i}").ToArray();
        const int maxTokens = 32;
        var windows = WordPieceAlignment.Windows(Tokenizer, words, maxTokens);
        Assert.That(windows.Count, Is.GreaterThan(5));
        Assert.That(windows.All(w => w.Tokens.Length <= maxTokens), Is.True);
        var owned = windows.SelectMany(w => Enumerable.Range(w.FirstWord, w.OwnedWords)).ToArray();
        Assert.That(owned, Is.EqualTo(Enumerable.Range(0, words.Length).ToArray()), "every word owned once, in order");
        // Each owned word's first piece in its window is that word's first piece.
        foreach (var w in windows)
            for (int i = 0; i < w.OwnedWords; i++)
                Assert.That(w.Tokens.InputIds[w.FirstPieces[i]], Is.EqualTo(Tokenizer.EncodeWordPieces(words[w.FirstWord + i])[0]));
        Assert.That(windows.SelectMany(w => w.Shapes), Is.EqualTo(words.Select(WordShape.Of)), "each owned word's casing class, in order");
        // Windows overlap: most owned words have context on both sides.
        Assert.That(windows.Skip(1).All(w => w.StartWord < w.FirstWord), Is.True, "later windows start with context before their owned words");
    }

    [Test]
    public void StitchPutsWindowValuesBackOnTheirWords()
    {
        var words = Enumerable.Range(0, 60).Select(i => $"w{i}").ToArray();
        var windows = WordPieceAlignment.Windows(Tokenizer, words, 16);
        Assert.That(windows.Count, Is.GreaterThan(2));
        var perWindow = windows.Select(w => Enumerable.Range(w.FirstWord, w.OwnedWords).Select(i => words[i]).ToArray()).ToArray();
        Assert.That(WordPieceAlignment.Stitch(windows, perWindow, words.Length), Is.EqualTo(words));
        perWindow[1] = perWindow[1][1..];
        Assert.That(() => WordPieceAlignment.Stitch(windows, perWindow, words.Length), Throws.ArgumentException);
    }

    [Test]
    public void AWordLongerThanTheBudgetKeepsItsFirstPiecesAndAnEmptyWordBecomesUnknown()
    {
        string url = "https://example.com/" + string.Concat(Enumerable.Repeat("abc/def/", 20));
        var windows = WordPieceAlignment.Windows(Tokenizer, ["see", url, "\u200b", "now"], 12);
        var owned = windows.SelectMany(w => Enumerable.Range(w.FirstWord, w.OwnedWords)).ToArray();
        Assert.That(owned, Is.EqualTo(new[] { 0, 1, 2, 3 }), "nothing is dropped");
        Assert.That(windows.All(w => w.Tokens.Length <= 12), Is.True);
        var zeroWidth = windows.Single(w => w.FirstWord <= 2 && 2 < w.FirstWord + w.OwnedWords);
        Assert.That(zeroWidth.Tokens.InputIds[zeroWidth.FirstPieces[2 - zeroWidth.FirstWord]], Is.EqualTo(Tokenizer.UnkId));
    }

    [Test]
    public void BadArgumentsAreRejected()
    {
        Assert.That(() => WordPieceAlignment.Windows(Tokenizer, [], 16), Throws.ArgumentException);
        Assert.That(() => WordPieceAlignment.Windows(Tokenizer, ["a"], 2), Throws.TypeOf<ArgumentOutOfRangeException>());
    }
}
