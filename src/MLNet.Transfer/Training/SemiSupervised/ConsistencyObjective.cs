using MLNet.Transfer.Models;
using MLNet.Transfer.Models.Heads;
using MLNet.Transfer.Text;
using static TorchSharp.torch;

namespace MLNet.Transfer.Training.SemiSupervised;

/// <summary>
/// The unlabelled half of a UDA step, plugged into <see cref="FineTuner"/> (<see cref="FineTuner.Consistency"/>): each
/// step draws <see cref="SemiSupervisedSettings.UnlabelledBatchRatio"/> × batch-size unlabelled texts (reproducibly from
/// the seed and the step), and adds λ × <see cref="ConsistencyLoss"/> between the model's outputs on them and on their
/// augmented copies for every binary / multiclass task, and — with <see cref="Tagging"/> — every tagging task's per-word
/// term (<see cref="TaggerConsistencyObjective"/>, on the tagging task's head); it also anneals the supervised loss.
/// </summary>
/// <param name="unlabelled">The unlabelled texts.</param>
/// <param name="augmented">One augmented copy of each (e.g. <see cref="TfIdfAugmenter.AugmentAll"/>).</param>
/// <param name="settings">λ, sharpening, confidence, annealing, ratio.</param>
/// <param name="seed">Seed of the per-step draws.</param>
public sealed class ConsistencyObjective(IReadOnlyList<EncodedText> unlabelled, IReadOnlyList<EncodedText> augmented, SemiSupervisedSettings settings, int seed)
{
    private readonly SemiSupervisedSettings _settings = Checked(unlabelled, augmented, settings);

    /// <summary>
    /// Multi-task models with tagging tasks: the per-word consistency term of the unlabelled texts as sentences of words
    /// (<see cref="TaggerConsistencyObjective.For"/>), added for every tagging task, whose labelled word loss it also
    /// anneals when <see cref="SemiSupervisedSettings.Annealing"/> is set (the tagger's rule). Null: tagging tasks learn from their labels only.
    /// </summary>
    public TaggerConsistencyObjective? Tagging { get; init; }

    /// <summary>What the objective depends on, for checkpoint fingerprints.</summary>
    public override string ToString() => $"consistency {unlabelled.Count} {_settings} {seed}" + (Tagging is null ? "" : $" + {Tagging}");

    /// <summary>The supervised targets of a task with the rows annealing leaves out at this step set to null.</summary>
    public float[]?[] AnnealedTargets(TaskSpec task, Tensor logits, IReadOnlyList<float[]?> targets, int step, int totalSteps)
    {
        var annealing = _settings.AnnealingOr(AnnealingSchedule.Exp);
        if (annealing == AnnealingSchedule.None || task.Kind is not (TaskKind.Binary or TaskKind.Multiclass)) return targets.ToArray();
        int classes = task.Kind == TaskKind.Binary ? 2 : task.Outputs;
        return ConsistencyLoss.Anneal(task.Kind, logits, targets, TrainingSignalAnnealing.Threshold(annealing, step, totalSteps, classes));
    }

    /// <summary>
    /// λ × the consistency loss of this step's unlabelled draw: the sentence term plus, with <see cref="Tagging"/>, each
    /// tagging task's (null when no task of the model takes part).
    /// </summary>
    public Tensor? Loss(TransferModel model, int padId, int batchSize, int step)
    {
        var total = SentenceLoss(model, padId, batchSize, step);
        if (Tagging is null) return total;
        foreach (var task in model.Tasks.Where(t => t.Kind == TaskKind.Tagging))
        {
            var loss = Tagging.Loss(model.Tagger(task.Name), padId, batchSize, step);
            total = total is null ? loss : total.Plus(loss);
        }
        return total;
    }

    /// <summary>λ × the binary / multiclass tasks' consistency loss of this step's unlabelled draw (null when the model has none).</summary>
    private Tensor? SentenceLoss(TransferModel model, int padId, int batchSize, int step)
    {
        var tasks = model.Tasks.Where(t => t.Kind is TaskKind.Binary or TaskKind.Multiclass).ToArray();
        if (tasks.Length == 0) return null;
        var rows = Draw(batchSize * _settings.UnlabelledBatchRatio, step);
        using var scope = NewDisposeScope();
        Dictionary<string, Tensor> original;
        using (no_grad())
        {
            using var batch = TokenBatch.Create(rows.Select(i => unlabelled[i]).ToArray(), padId, model.Encoder.Device);
            original = model.Forward(batch.InputIds, batch.TokenTypeIds, batch.AttentionMask);
        }
        using var noisy = TokenBatch.Create(rows.Select(i => augmented[i]).ToArray(), padId, model.Encoder.Device);
        var outputs = model.Forward(noisy.InputIds, noisy.TokenTypeIds, noisy.AttentionMask);
        Tensor? total = null;
        foreach (var task in tasks)
        {
            var loss = ConsistencyLoss.Compute(task.Kind, original[task.Name], outputs[task.Name], _settings.SharpeningTemperature, _settings.Confidence);
            total = total is null ? loss : total + loss;
        }
        return (total! * _settings.ConsistencyWeight).MoveToOuterDisposeScope();
    }

    /// <summary>The unlabelled rows of a step: distinct, drawn with a generator seeded by the seed and the step.</summary>
    internal int[] Draw(int count, int step) => Draw(count, unlabelled.Count, seed, step);

    /// <summary>
    /// <paramref name="count"/> distinct rows of <paramref name="total"/> (all of them when there are no more), in order,
    /// drawn with a generator seeded by <paramref name="seed"/> and <paramref name="step"/>: a step's unlabelled batch.
    /// </summary>
    internal static int[] Draw(int count, int total, int seed, int step)
    {
        var random = new Random(unchecked(seed * 1_000_003 + step * 7919 + 17));
        if (count >= total) return [.. Enumerable.Range(0, total)];
        var chosen = new HashSet<int>();
        while (chosen.Count < count) chosen.Add(random.Next(total));
        return [.. chosen.Order()];
    }

    private static SemiSupervisedSettings Checked(IReadOnlyList<EncodedText> unlabelled, IReadOnlyList<EncodedText> augmented, SemiSupervisedSettings settings)
    {
        if (unlabelled.Count == 0) throw new ArgumentException("The unlabelled set is empty: consistency training needs unlabelled texts.", nameof(unlabelled));
        if (augmented.Count != unlabelled.Count) throw new ArgumentException($"{augmented.Count} augmented copies for {unlabelled.Count} unlabelled texts.", nameof(augmented));
        return settings.Validate();
    }
}
