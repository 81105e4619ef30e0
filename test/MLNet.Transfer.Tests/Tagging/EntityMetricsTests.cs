using MLNet.Transfer.Training.Tagging;

namespace MLNet.Transfer.Tests.Tagging;

/// <summary>Entity-level metrics on known conlleval / seqeval examples.</summary>
[Category("Unit")]
public class EntityMetricsTests
{
    private static TokenClassificationMetrics Score(string[][] gold, string[][] predicted) =>
        TokenClassificationMetrics.Compute(gold, predicted);

    [Test]
    public void SeqevalReadmeExampleGivesHalfPrecisionRecallAndF1()
    {
        // seqeval's README: f1_score(y_true, y_pred) == 0.50; MISC wrong span, PER right.
        string[][] gold = [["O", "O", "O", "B-MISC", "I-MISC", "I-MISC", "O"], ["B-PER", "I-PER", "O"]];
        string[][] predicted = [["O", "O", "B-MISC", "I-MISC", "I-MISC", "I-MISC", "O"], ["B-PER", "I-PER", "O"]];
        var m = Score(gold, predicted);
        Assert.That((m.Precision, m.Recall, m.F1Score), Is.EqualTo((0.5, 0.5, 0.5)));
        Assert.That(m.TokenAccuracy, Is.EqualTo(8.0 / 10), "positions 2 (O vs B-MISC) and 3 (B-MISC vs I-MISC) differ");
        Assert.That(m.PerType["MISC"], Is.EqualTo(new EntityTypeMetrics(0, 0, 0, 1, 1)));
        Assert.That(m.PerType["PER"], Is.EqualTo(new EntityTypeMetrics(1, 1, 1, 1, 1)));
        Assert.That((m.GoldEntities, m.PredictedEntities, m.Words), Is.EqualTo((2, 2, 10)));
    }

    [Test]
    public void ConllevalStartsAnEntityAtAnInsideTagAfterOOrAnotherType()
    {
        Assert.That(EntitySpans.Extract(["I-PER", "I-PER", "O", "I-LOC"]),
                    Is.EqualTo(new[] { new EntitySpan("PER", 0, 2), new EntitySpan("LOC", 3, 4) }));
        Assert.That(EntitySpans.Extract(["B-PER", "I-LOC", "I-LOC", "B-LOC", "B-LOC"]),
                    Is.EqualTo(new[] { new EntitySpan("PER", 0, 1), new EntitySpan("LOC", 1, 3), new EntitySpan("LOC", 3, 4), new EntitySpan("LOC", 4, 5) }));
        // So an I- prediction that covers the gold span exactly is correct, as in conlleval.
        var m = Score([["B-PER", "I-PER", "O"]], [["I-PER", "I-PER", "O"]]);
        Assert.That(m.F1Score, Is.EqualTo(1));
        Assert.That(m.TokenAccuracy, Is.EqualTo(2.0 / 3));
    }

    [Test]
    public void WrongTypeOrPartialSpanCountsAsBothAFalsePositiveAndAFalseNegative()
    {
        // gold: PER(0..2), LOC(3), ORG(5..7); predicted: PER(0..1) partial, LOC(3) right, MISC(5..7) wrong type, LOC(8) spurious.
        string[] gold = ["B-PER", "I-PER", "O", "B-LOC", "O", "B-ORG", "I-ORG", "O", "O"];
        string[] predicted = ["B-PER", "O", "O", "B-LOC", "O", "B-MISC", "I-MISC", "O", "B-LOC"];
        var m = Score([gold], [predicted]);
        Assert.That(m.Precision, Is.EqualTo(1.0 / 4));
        Assert.That(m.Recall, Is.EqualTo(1.0 / 3));
        Assert.That(m.F1Score, Is.EqualTo(2 * 0.25 / 3 / (0.25 + 1.0 / 3)).Within(1e-12));
        Assert.That(m.PerType["LOC"], Is.EqualTo(new EntityTypeMetrics(0.5, 1, 2 * 0.5 / 1.5, 1, 2)));
        Assert.That(m.PerType["MISC"].Support, Is.Zero);
        Assert.That(m.PerType["ORG"].Predicted, Is.Zero);
        Assert.That(m.ToTable(), Does.Contain("all entities").And.Contain("LOC").And.Contain("token accuracy"));
    }

    [Test]
    public void IobesAndPlainTagsAreHandled()
    {
        Assert.That(EntitySpans.Extract(["S-PER", "B-LOC", "E-LOC", "O", "U-ORG"]),
                    Is.EqualTo(new[] { new EntitySpan("PER", 0, 1), new EntitySpan("LOC", 1, 3), new EntitySpan("ORG", 4, 5) }));
        // Part-of-speech tags have no prefix: each word is its own unit, so F1 equals token accuracy.
        var m = Score([["NOUN", "VERB", "NOUN"]], [["NOUN", "NOUN", "NOUN"]]);
        Assert.That(m.TokenAccuracy, Is.EqualTo(2.0 / 3));
        Assert.That(m.F1Score, Is.EqualTo(2.0 / 3));
    }

    [Test]
    public void NothingPredictedOrNothingToFindGivesZeroNotNaN()
    {
        var m = Score([["B-PER", "O"]], [["O", "O"]]);
        Assert.That((m.Precision, m.Recall, m.F1Score), Is.EqualTo((0.0, 0.0, 0.0)));
        Assert.That(() => Score([["O"]], [["O", "O"]]), Throws.ArgumentException);
    }
}
