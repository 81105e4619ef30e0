using MLNet.Transfer.Training;

namespace MLNet.Transfer.Tests.Training;

/// <summary>Threshold selection on known scores, and the degenerate-result check.</summary>
[Category("Unit")]
public class DecisionThresholdTests
{
    [Test]
    public void ThresholdMaximisesTheTargetClassF1OnKnownScores()
    {
        // Positives score 1..3 and one at -2; negatives -3..0. Best cut for positive F1: between 0 and 1 (TP 3, FP 0, FN 1 → F1 6/7).
        float[] logits = [1, 2, 3, -2, -3, -1, 0, -0.5f];
        bool[] labels = [true, true, true, true, false, false, false, false];
        Assert.That(DecisionThreshold.MaximizeF1(logits, labels, positiveIsTarget: true), Is.EqualTo(0.5f));
        // Scores all shifted by -5: the untuned cut (0) would predict no positive at all; the tuned one follows the shift.
        Assert.That(DecisionThreshold.MaximizeF1(logits.Select(l => l - 5).ToArray(), labels, true), Is.EqualTo(-4.5f));
    }

    [Test]
    public void NegativeClassAsTargetCountsPredictionsAtOrBelowTheCut()
    {
        float[] logits = [-3, -2, -1, 2, 3, 4];
        bool[] labels = [false, false, false, true, true, true];
        float cut = DecisionThreshold.MaximizeF1(logits, labels, positiveIsTarget: false);
        Assert.That(cut, Is.EqualTo(0.5f), "any cut in (-1, 2) separates perfectly; the midpoint nearest 0 wins");
    }

    [Test]
    public void OneClassOrEmptyDataKeepsTheDefaultThreshold()
    {
        Assert.That(DecisionThreshold.MaximizeF1([1f, 2f], [true, true], true), Is.Zero);
        Assert.That(() => DecisionThreshold.MaximizeF1([1f], [true, false], true), Throws.ArgumentException);
    }

    [Test]
    public void DegenerateResultNamesTheOneClassPredictedOrChanceLevelBalancedAccuracy()
    {
        string Name(int c) => c == 1 ? "sarcastic" : "not sarcastic";
        int[] truth = [0, 0, 0, 0, 0, 0, 1, 1];
        Assert.That(DegenerateResult.Check([0, 0, 0, 0, 0, 0, 0, 0], truth, Name), Does.Contain("'not sarcastic' for every one of the 8"));
        // Recall 4/6 on class 0 and 1/2 on class 1: balanced accuracy 58% > 52%: learned something.
        Assert.That(DegenerateResult.Check([0, 0, 0, 0, 1, 1, 1, 0], truth, Name), Is.Null);
        // Recall 3/6 and 1/2: 50%, chance level.
        Assert.That(DegenerateResult.Check([0, 0, 0, 1, 1, 1, 1, 0], truth, Name), Does.Contain("no better than guessing"));
        Assert.That(DegenerateResult.Check([0, 0], [1, 1], Name), Is.Null, "one true class: nothing to tell apart");
    }
}
