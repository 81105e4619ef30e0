namespace MLNet.Transfer.Training;

/// <summary>
/// Chooses a binary decision threshold on scored validation data: the logit cut that maximises the F1 of one class
/// (for imbalanced tasks the minority class, the metric that matters there). Predicted positive = logit &gt; threshold.
/// </summary>
public static class DecisionThreshold
{
    /// <summary>
    /// The threshold on <paramref name="logits"/> that maximises F1 of class <paramref name="positiveIsTarget"/>
    /// (true: the positive class, false: the negative class). Candidates are midpoints between consecutive distinct
    /// logits; ties go to the candidate nearest 0 (the untuned threshold). Returns 0 when the data has one class only.
    /// </summary>
    public static float MaximizeF1(IReadOnlyList<float> logits, IReadOnlyList<bool> labels, bool positiveIsTarget)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(labels);
        if (logits.Count != labels.Count) throw new ArgumentException($"{logits.Count} logits but {labels.Count} labels.");
        int targets = labels.Count(l => l == positiveIsTarget);
        if (targets == 0 || targets == labels.Count) return 0;

        // Walk the cut from below every logit upwards; "target predicted" = above the cut (positive) or at/below it (negative).
        var order = Enumerable.Range(0, logits.Count).OrderBy(i => logits[i]).ToArray();
        int totalPositives = labels.Count(l => l), positivesAbove = totalPositives, countAbove = labels.Count;
        float best = 0;
        double bestF1 = -1;
        for (int k = 0; k <= order.Length; k++)
        {
            if (k > 0)
            {
                if (labels[order[k - 1]]) positivesAbove--;
                countAbove--;
                if (k < order.Length && logits[order[k]] == logits[order[k - 1]]) continue; // not a cut between distinct values
            }
            float cut = k == 0 ? logits[order[0]] - 1 : k == order.Length ? logits[order[^1]] + 1 : (logits[order[k - 1]] + logits[order[k]]) / 2;
            int truePositives, predicted;
            if (positiveIsTarget) { truePositives = positivesAbove; predicted = countAbove; }
            else { truePositives = (order.Length - countAbove) - (totalPositives - positivesAbove); predicted = order.Length - countAbove; }
            double f1 = predicted == 0 ? 0 : 2.0 * truePositives / (predicted + targets);
            if (f1 > bestF1 + 1e-12 || (Math.Abs(f1 - bestF1) <= 1e-12 && Math.Abs(cut) < Math.Abs(best)))
            {
                bestF1 = f1;
                best = cut;
            }
        }
        return best;
    }
}
