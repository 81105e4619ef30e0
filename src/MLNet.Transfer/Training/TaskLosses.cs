using MLNet.Transfer.Models;
using MLNet.Transfer.Models.Heads;
using static TorchSharp.torch;

namespace MLNet.Transfer.Training;

/// <summary>Loss per task kind over the rows of a batch that carry a label for the task.</summary>
public static class TaskLosses
{
    /// <summary>The class of a multiclass target: its index, or the most probable class of a soft target (one probability per class).</summary>
    public static int ClassOf(float[] target) => target.Length == 1 ? (int)target[0] : Array.IndexOf(target, target.Max());

    /// <summary>
    /// Mean loss of <paramref name="logits"/> [rows, outputs] against <paramref name="targets"/> (null rows skipped).
    /// Returns null when no row of the batch has a label for this task.
    /// </summary>
    /// <param name="task">The task (kind, standardisation).</param>
    /// <param name="logits">Head output for the whole batch.</param>
    /// <param name="targets">Targets per row (multiclass: [class index], or a soft target with one probability per class).</param>
    /// <param name="classWeights">Optional per-class weights (multiclass: one per class; binary: [negative, positive]).</param>
    public static Tensor? Compute(TaskSpec task, Tensor logits, IReadOnlyList<float[]?> targets, float[]? classWeights = null)
    {
        var rows = Enumerable.Range(0, targets.Count).Where(r => targets[r] is not null).ToArray();
        if (rows.Length == 0) return null;
        using var scope = NewDisposeScope();
        var device = logits.device;
        var selected = rows.Length == targets.Count ? logits : logits.index_select(0, tensor(rows.Select(r => (long)r).ToArray(), device: device));
        Tensor loss;
        switch (task.Kind)
        {
            case TaskKind.Binary:
            {
                var y = tensor(rows.Select(r => targets[r]![0]).ToArray(), device: device);
                var x = selected.squeeze(1);
                Tensor? weights = classWeights is null ? null : where(y.GreaterThan(0.5), classWeights[1], classWeights[0]);
                loss = nn.functional.binary_cross_entropy_with_logits(x, y, weights);
                break;
            }
            case TaskKind.Multiclass when targets[rows[0]]!.Length > 1: // soft targets: one probability per class
            {
                var y = tensor(rows.SelectMany(r => targets[r]!).ToArray(), device: device).view(rows.Length, task.Outputs);
                var perClass = -(y * selected.log_softmax(1));
                if (classWeights is not null) perClass = perClass * tensor(classWeights, device: device);
                loss = perClass.sum(1).mean();
                break;
            }
            case TaskKind.Multiclass:
            {
                var y = tensor(rows.Select(r => (long)targets[r]![0]).ToArray(), device: device);
                var w = classWeights is null ? null : tensor(classWeights, device: device);
                loss = nn.functional.cross_entropy(selected, y, w);
                break;
            }
            case TaskKind.Regression:
            {
                var y = tensor(rows.Select(r => (float)((targets[r]![0] - task.TargetMean) / task.TargetStd)).ToArray(), device: device);
                loss = nn.functional.mse_loss(selected.squeeze(1), y);
                break;
            }
            case TaskKind.MultiLabel:
            {
                var flat = rows.SelectMany(r => targets[r]!).ToArray();
                var y = tensor(flat, device: device).view(rows.Length, task.Outputs);
                loss = nn.functional.binary_cross_entropy_with_logits(selected, y);
                break;
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(task), task.Kind, "Unknown task kind.");
        }
        return loss.MoveToOuterDisposeScope();
    }
}
