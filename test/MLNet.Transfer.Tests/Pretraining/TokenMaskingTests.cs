using MLNet.Transfer.Pretraining;
using MLNet.Transfer.Tests.Text;

namespace MLNet.Transfer.Tests.Pretraining;

/// <summary>BERT masking proportions, special tokens and whole-word masking, over many tokens.</summary>
[Category("Unit")]
public class TokenMaskingTests
{
    private const int Ignore = BertLanguageModel.IgnoreLabel;

    [Test]
    public void MasksFifteenPercentOfTokensSplitEightyTenTen()
    {
        var tokenizer = TestVocab.BertUncased;
        var masking = new TokenMasking(tokenizer);
        var random = new Random(7);
        long tokens = 0, predicted = 0, masked = 0, replaced = 0, kept = 0;
        for (int n = 0; n < 400; n++)
        {
            // [CLS] 98 ordinary word pieces (ids 1996.. are real words in bert-base-uncased) [SEP]
            int[] ids = [tokenizer.ClsId, .. Enumerable.Range(0, 98).Select(_ => random.Next(1996, 29000)), tokenizer.SepId];
            var example = masking.Mask(ids, random);
            tokens += 98;
            for (int p = 0; p < ids.Length; p++)
            {
                if (example.Labels[p] == Ignore)
                {
                    Assert.That(example.InputIds[p], Is.EqualTo(ids[p]), "unpredicted tokens are never changed");
                    continue;
                }
                Assert.That(example.Labels[p], Is.EqualTo(ids[p]), "the label is the original token");
                predicted++;
                if (example.InputIds[p] == tokenizer.MaskId) masked++;
                else if (example.InputIds[p] == ids[p]) kept++;
                else replaced++;
            }
        }
        double share = (double)predicted / tokens;
        TestContext.Out.WriteLine($"predicted {share:P2} of {tokens}; [MASK] {(double)masked / predicted:P1}, random {(double)replaced / predicted:P1}, kept {(double)kept / predicted:P1}");
        Assert.That(share, Is.EqualTo(0.15).Within(0.005));
        Assert.That((double)masked / predicted, Is.EqualTo(0.8).Within(0.025));
        Assert.That((double)replaced / predicted, Is.EqualTo(0.1).Within(0.02));
        Assert.That((double)kept / predicted, Is.EqualTo(0.1).Within(0.02));
    }

    [Test]
    public void SpecialTokensAreNeverPickedAndRandomReplacementsAreRealWordPieces()
    {
        var tokenizer = TestVocab.BertUncased;
        var masking = new TokenMasking(tokenizer, new MaskingOptions { Probability = 0.5, MaskTokenFraction = 0, RandomTokenFraction = 1 });
        var random = new Random(3);
        int[] specials = [tokenizer.ClsId, tokenizer.SepId, tokenizer.PadId, tokenizer.MaskId];
        for (int n = 0; n < 300; n++)
        {
            int[] ids = [tokenizer.ClsId, .. Enumerable.Range(0, 20).Select(i => i % 5 == 0 ? specials[random.Next(4)] : random.Next(1996, 29000)), tokenizer.SepId, tokenizer.PadId];
            var example = masking.Mask(ids, random);
            for (int p = 0; p < ids.Length; p++)
            {
                if (specials.Contains(ids[p])) Assert.That(example.Labels[p], Is.EqualTo(Ignore), $"special id {ids[p]} at {p} was picked");
                else if (example.Labels[p] != Ignore)
                {
                    string token = tokenizer.IdToToken(example.InputIds[p]);
                    Assert.That(token.StartsWith('[') && token.EndsWith(']'), Is.False, $"replacement '{token}' is not a real word piece");
                }
            }
            Assert.That(example.Predictions, Is.EqualTo(8).Or.EqualTo(9), "half of the 16 or 17 ordinary tokens (stochastic rounding)");
        }
    }

    [Test]
    public void WholeWordMaskingPicksEveryPieceOfAWordOrNone()
    {
        var tokenizer = TestVocab.BertUncased;
        var masking = new TokenMasking(tokenizer, new MaskingOptions { WholeWordMasking = true });
        const string text = "The unbelievably overdramatized cinematography of Tolkienesque landscapes mesmerizes cinephiles and " +
                            "antidisestablishmentarianism enthusiasts, notwithstanding incomprehensibly convoluted screenwriting.";
        var ids = tokenizer.Encode(text, 128).InputIds;
        Assert.That(ids.Count(id => tokenizer.IdToToken(id).StartsWith("##", StringComparison.Ordinal)), Is.GreaterThan(10), "the text has many multi-piece words");
        var random = new Random(11);
        long predicted = 0, candidates = 0;
        for (int n = 0; n < 2000; n++)
        {
            var example = masking.Mask(ids, random);
            int start = 1;
            while (start < ids.Length - 1)
            {
                int end = start + 1;
                while (end < ids.Length - 1 && tokenizer.IdToToken(ids[end]).StartsWith("##", StringComparison.Ordinal)) end++;
                var picked = Enumerable.Range(start, end - start).Select(p => example.Labels[p] != Ignore).Distinct().ToArray();
                Assert.That(picked, Has.Length.EqualTo(1), $"word at {start}..{end - 1} is partly masked");
                start = end;
            }
            predicted += example.Predictions;
            candidates += ids.Length - 2;
        }
        double share = (double)predicted / candidates;
        TestContext.Out.WriteLine($"whole-word masking predicted {share:P2} of tokens");
        Assert.That(share, Is.EqualTo(0.15).Within(0.03), "about 15% (long words that overshoot the budget are skipped)");
    }

    [Test]
    public void NextTokenTargetsShiftByOne()
    {
        var example = TokenMasking.NextToken([2, 10, 11, 12, 3]);
        Assert.That(example.InputIds, Is.EqualTo(new[] { 2, 10, 11, 12, 3 }));
        Assert.That(example.Labels, Is.EqualTo(new[] { 10, 11, 12, 3, Ignore }));
    }

    [Test]
    public void BadProportionsAreRejectedByName()
    {
        Assert.That(() => new MaskingOptions { Probability = 0 }.Validate(), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contain("Probability"));
        Assert.That(() => new MaskingOptions { MaskTokenFraction = 0.9, RandomTokenFraction = 0.2 }.Validate(),
                    Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contain("RandomTokenFraction"));
    }
}
