using MLNet.Transfer.Models.Heads;

namespace MLNet.Transfer.Training.SemiSupervised;

/// <summary>A teacher's label for an unlabelled text.</summary>
/// <param name="Index">Position of the text in the unlabelled pool.</param>
/// <param name="Class">The teacher's top class (binary: 0 = false, 1 = true).</param>
/// <param name="Probabilities">The teacher's probability per class.</param>
public sealed record PseudoLabel(int Index, int Class, float[] Probabilities)
{
    /// <summary>The top class's probability.</summary>
    public float Confidence => Probabilities[Class];

    /// <summary>The label as a training target of <paramref name="kind"/>: the class, or with <paramref name="soft"/> the probabilities (binary: P(true)).</summary>
    public float[] Target(TaskKind kind, bool soft) =>
        !soft ? [Class] : kind == TaskKind.Binary ? [Probabilities[1]] : (float[])Probabilities.Clone();
}

/// <summary>Self-training's choice of pseudo-labels: confident, and as many of every class.</summary>
public static class PseudoLabels
{
    /// <summary>Class probabilities from a classification head's outputs: binary [P(false), P(true)] from the logit, multiclass the softmax.</summary>
    public static float[] Probabilities(TaskKind kind, float[] logits)
    {
        if (kind == TaskKind.Binary)
        {
            float p = HeadProbabilities.Sigmoid(logits[0]);
            return [1 - p, p];
        }
        if (kind != TaskKind.Multiclass) throw new ArgumentOutOfRangeException(nameof(kind), kind, "Pseudo-labels need a binary or multiclass task.");
        return HeadProbabilities.Softmax(logits);
    }

    /// <summary>
    /// The texts whose top class's probability reaches <paramref name="threshold"/>, the most confident first within each
    /// class (or, with <paramref name="sample"/>, drawn at random among them), at most <paramref name="maxPerClass"/> per
    /// class; with <paramref name="balance"/> every class gets as many as the class with the fewest confident texts (none at
    /// all when a class has none). Ties go to the earlier text; the result is in pool order.
    /// </summary>
    /// <param name="probabilities">Per unlabelled text, the probability of each class (all of one length, at least 2).</param>
    /// <param name="threshold">Top-class probability a pseudo-label needs.</param>
    /// <param name="maxPerClass">Cap per class.</param>
    /// <param name="balance">Same count for every class.</param>
    /// <param name="sample">Null: the most confident. Otherwise the generator that draws the pseudo-labels of each class uniformly among its confident texts.</param>
    public static List<PseudoLabel> Select(IReadOnlyList<float[]> probabilities, double threshold, int maxPerClass, bool balance, Random? sample = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPerClass, 1);
        if (probabilities.Count == 0) return [];
        int classes = probabilities[0].Length;
        if (classes < 2 || probabilities.Any(p => p.Length != classes))
            throw new ArgumentException("Every row needs the same number (at least 2) of class probabilities.", nameof(probabilities));
        var confident = new List<PseudoLabel>[classes];
        for (int c = 0; c < classes; c++) confident[c] = [];
        for (int i = 0; i < probabilities.Count; i++)
        {
            var p = probabilities[i];
            int top = 0;
            for (int c = 1; c < classes; c++) if (p[c] > p[top]) top = c;
            if (p[top] >= threshold) confident[top].Add(new PseudoLabel(i, top, p));
        }
        int take = balance ? Math.Min(maxPerClass, confident.Min(c => c.Count)) : maxPerClass;
        return confident.SelectMany(c => Order(c, l => l.Confidence, sample).Take(take)).OrderBy(l => l.Index).ToList();
    }

    /// <summary>Pseudo-label candidates (in pool order) the most confident first, ties in pool order; or, with <paramref name="sample"/>, shuffled by it.</summary>
    internal static IEnumerable<T> Order<T>(List<T> confident, Func<T, float> confidence, Random? sample)
    {
        if (sample is null) return confident.OrderByDescending(confidence); // a stable sort: ties keep pool order
        var shuffled = confident.ToArray();
        sample.Shuffle(shuffled);
        return shuffled;
    }
}
