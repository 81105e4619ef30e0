using MLNet.Transfer.Models.Heads;
using static TorchSharp.torch;

namespace MLNet.Transfer.Training.SemiSupervised;

/// <summary>UDA's two per-batch pieces on a classification head's logits: the consistency loss and training-signal annealing.</summary>
public static class ConsistencyLoss
{
    /// <summary>
    /// Mean over the batch of KL(sharpen(p(original)) ‖ p(augmented)), where rows whose top-class probability on the
    /// original is below <paramref name="confidence"/> count as 0. The original side is a fixed target (no gradient).
    /// </summary>
    /// <param name="kind">Binary (logits [n, 1]) or multiclass (logits [n, K]).</param>
    /// <param name="original">Logits on the unlabelled texts.</param>
    /// <param name="augmented">Logits on their augmented copies, same shape.</param>
    /// <param name="temperature">Sharpening temperature of the target (1 = none).</param>
    /// <param name="confidence">Confidence a row's original prediction needs to count.</param>
    public static Tensor Compute(TaskKind kind, Tensor original, Tensor augmented, double temperature, double confidence)
    {
        using var scope = NewDisposeScope();
        var target = ClassLogits(kind, original).detach().to(ScalarType.Float32);
        var student = ClassLogits(kind, augmented).to(ScalarType.Float32);
        var mask = target.softmax(1).max(1).values.ge(confidence).to(ScalarType.Float32);
        var sharpened = (target / temperature).softmax(1);
        var kl = (sharpened * (sharpened.clamp_min(1e-12).log() - student.log_softmax(1))).sum(1);
        return ((kl * mask).sum() / Math.Max(1, kl.shape[0])).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Training-signal annealing: the <paramref name="targets"/> with null in place of every hard-labelled row whose
    /// correct-class probability exceeds <paramref name="threshold"/> (<see cref="TrainingSignalAnnealing.Threshold"/>), so
    /// the supervised loss leaves it out this step. Other kinds and soft targets pass unchanged.
    /// </summary>
    public static float[]?[] Anneal(TaskKind kind, Tensor logits, IReadOnlyList<float[]?> targets, double threshold)
    {
        var result = targets.ToArray();
        if (kind is not (TaskKind.Binary or TaskKind.Multiclass) || threshold >= 1) return result;
        using var scope = NewDisposeScope();
        var probabilities = ClassLogits(kind, logits).detach().to(ScalarType.Float32).softmax(1).cpu();
        var p = probabilities.data<float>().ToArray();
        int classes = (int)probabilities.shape[1];
        for (int r = 0; r < result.Length; r++)
            if (result[r] is { Length: 1 } target && target[0] == MathF.Round(target[0]) && p[r * classes + (int)target[0]] > threshold) result[r] = null;
        return result;
    }

    /// <summary>One logit per class: binary [n, 1] becomes [0, x] (softmax of it is [1 − σ(x), σ(x)]); multiclass unchanged.</summary>
    private static Tensor ClassLogits(TaskKind kind, Tensor logits) => kind switch
    {
        TaskKind.Binary => cat([zeros_like(logits), logits], 1),
        TaskKind.Multiclass => logits,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Consistency training needs a binary or multiclass task."),
    };
}
