using MLNet.Transfer.Text;

namespace MLNet.Transfer.Tests.Text;

[Category("Unit")]
public class VocabularyRestrictionTests
{
    private static readonly string[] Corpus =
    [
        "The unbelievably charming film was a delight.",
        "A tedious, overlong film; the plot never convinces.",
        "Charming performances carry the film.",
    ];

    [Test]
    public void CorpusTokenizesIntoTheSamePiecesWithFewerIds()
    {
        var full = TestVocab.BertUncased;
        var restricted = full.RestrictTo(Corpus);

        Assert.That(restricted.VocabSize, Is.LessThan(full.VocabSize / 10), "a three-line corpus needs a small fraction of 30,522 pieces");
        foreach (var text in Corpus)
        {
            var before = full.EncodeWordPieces(text).Select(full.IdToToken).ToArray();
            var after = restricted.EncodeWordPieces(text).Select(restricted.IdToToken).ToArray();
            Assert.That(after, Is.EqualTo(before), text);
            Assert.That(after, Does.Not.Contain("[UNK]"));
        }
        Assert.That(restricted.IdToToken(restricted.PadId), Is.EqualTo("[PAD]"));
        Assert.That(restricted.IdToToken(restricted.MaskId), Is.EqualTo("[MASK]"));
        Assert.That(restricted.LowerCase, Is.True);
    }

    [Test]
    public void UnseenWordsSplitIntoCharactersInsteadOfUnknown()
    {
        var restricted = TestVocab.BertUncased.RestrictTo(Corpus);
        var pieces = restricted.EncodeWordPieces("zebra").Select(restricted.IdToToken).ToArray();

        Assert.That(pieces, Is.EqualTo(new[] { "z", "##e", "##b", "##r", "##a" }));
    }

    [Test]
    public void MinCountDropsRarePieces()
    {
        var full = TestVocab.BertUncased;
        var once = full.RestrictTo(Corpus);
        var twice = full.RestrictTo(Corpus, minCount: 2);

        Assert.Multiple(() =>
        {
            Assert.That(once.TryGetId("plot", out _), Is.True);
            Assert.That(twice.TryGetId("plot", out _), Is.False, "used once");
            Assert.That(twice.TryGetId("film", out _), Is.True, "used three times");
            Assert.That(twice.TryGetId("charming", out _), Is.True, "used twice");
            Assert.That(twice.VocabSize, Is.LessThan(once.VocabSize));
        });
    }

    [Test]
    public void BadArgumentsAreNamed()
    {
        var full = TestVocab.BertUncased;
        Assert.Throws<ArgumentOutOfRangeException>(() => full.RestrictTo(Corpus, minCount: 0));
        var error = Assert.Throws<ArgumentNullException>(() => full.RestrictTo(["fine", null!]));
        Assert.That(error!.Message, Does.Contain("line 1"));
    }
}
