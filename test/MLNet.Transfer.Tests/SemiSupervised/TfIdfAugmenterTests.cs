using MLNet.Transfer.Text;
using MLNet.Transfer.Training.SemiSupervised;

namespace MLNet.Transfer.Tests.SemiSupervised;

[Category("Unit")]
public class TfIdfAugmenterTests
{
    private const int Cls = 101, Sep = 102, Common = 1000;

    /// <summary>Every text holds the common piece 1000 (IDF 0) and rarer pieces 2000 + i.</summary>
    private static List<EncodedText> Corpus() => Enumerable.Range(0, 50)
        .Select(i => Text(Cls, Common, 2000 + i % 25, 3000 + i, Common, Sep)).ToList();

    private static EncodedText Text(params int[] ids) => new(ids, new int[ids.Length]);

    [Test]
    public void SpecialPiecesStayAndTheSameSeedGivesTheSameCopies()
    {
        var corpus = Corpus();
        var augmenter = new TfIdfAugmenter(corpus);
        var a = augmenter.AugmentAll(corpus, 0.5, 0.3, seed: 7);
        var b = augmenter.AugmentAll(corpus, 0.5, 0.3, seed: 7);
        Assert.That(a.Select(t => t.InputIds), Is.EqualTo(b.Select(t => t.InputIds)));
        Assert.That(a.Count(t => !t.InputIds.SequenceEqual(corpus[Array.IndexOf(a, t)].InputIds)), Is.GreaterThan(20), "a rate of 0.5 changes most texts");
        foreach (var t in a)
        {
            Assert.That(t.InputIds[0], Is.EqualTo(Cls));
            Assert.That(t.InputIds[^1], Is.EqualTo(Sep));
            Assert.That(t.Length, Is.GreaterThanOrEqualTo(3), "at least one piece stays");
            Assert.That(t.TokenTypeIds.Length, Is.EqualTo(t.Length));
        }
        Assert.That(augmenter.AugmentAll(corpus, 0, 0.3, 7).Select(t => t.InputIds), Is.EqualTo(corpus.Select(t => t.InputIds)), "rate 0 changes nothing");
    }

    [Test]
    public void UninformativePiecesChangeMoreOftenAndReplacementsAreUninformativeOnes()
    {
        var corpus = Corpus();
        var augmenter = new TfIdfAugmenter(corpus);
        var random = new Random(3);
        int commonChanged = 0, rareChanged = 0, trials = 2000;
        var inserted = new Dictionary<int, int>();
        var text = corpus[0]; // CLS 1000 2000 3000 1000 SEP
        for (int i = 0; i < trials; i++)
        {
            var copy = augmenter.Augment(text, 0.3, deletionShare: 0, random);
            Assert.That(copy.Length, Is.EqualTo(text.Length), "no deletions asked");
            for (int p = 1; p < text.Length - 1; p++)
            {
                if (copy.InputIds[p] == text.InputIds[p]) continue;
                if (text.InputIds[p] == Common) commonChanged++; else rareChanged++;
                inserted[copy.InputIds[p]] = inserted.GetValueOrDefault(copy.InputIds[p]) + 1;
            }
        }
        Assert.That(commonChanged, Is.GreaterThan(3 * rareChanged), "the piece every text has (TF-IDF 0) is the one replaced");
        Assert.That(inserted.Keys, Is.SubsetOf(Enumerable.Range(0, 4000)), "replacements are corpus pieces");
        // Replacements favour low corpus-wide TF-IDF: the common piece (0 everywhere) most, the pieces 2000–2024 (TF-IDF 1.6,
        // the corpus maximum) practically never.
        double common = augmenter.ReplacementProbability(Common);
        Assert.That(Enumerable.Range(3000, 50).Max(augmenter.ReplacementProbability), Is.LessThan(common / 2));
        Assert.That(Enumerable.Range(2000, 25).Max(augmenter.ReplacementProbability), Is.LessThan(1e-5));
        Assert.That(augmenter.ReplacementProbability(Cls), Is.EqualTo(0), "special pieces are never drawn");
    }

    [Test]
    public void DeletionShortensAndAnEmptyCorpusIsRefused()
    {
        var corpus = Corpus();
        var copies = new TfIdfAugmenter(corpus).AugmentAll(corpus, 1.0, deletionShare: 1.0, seed: 1);
        Assert.That(copies.All(c => c.Length is >= 3 and < 6), Is.True, "shorter, never empty");
        // One text: every piece has IDF 0, so each is deleted with probability 1 — but one piece always stays.
        var single = new TfIdfAugmenter([Text(Cls, 5, 6, 7, Sep)]).Augment(Text(Cls, 5, 6, 7, Sep), 1.0, 1.0, new Random(1));
        Assert.That(single.InputIds, Is.EqualTo(new[] { Cls, 5, Sep }));
        Assert.That(() => new TfIdfAugmenter([]), Throws.ArgumentException.With.Message.Contain("empty"));
    }
}
