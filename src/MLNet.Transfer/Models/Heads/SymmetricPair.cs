using MLNet.Transfer.Text;
using static TorchSharp.torch;

namespace MLNet.Transfer.Models.Heads;

/// <summary>
/// The OpenAI transformer's (GPT-1) input transformation for similarity: a pair has no natural order, so both orderings,
/// [CLS] a [SEP] b [SEP] and [CLS] b [SEP] a [SEP] (the delimiter-joined pairs of <see cref="BertWordPieceTokenizer.EncodePair"/>),
/// go through the encoder and their pooled vectors are added element-wise before the heads. The score is then the same
/// whichever text comes first — which matters for a causal encoder, where each token sees only those before it.
/// </summary>
public static class SymmetricPair
{
    /// <summary>Both orderings of each pair: element i of the first array is (first[i]; second[i]), of the second (second[i]; first[i]).</summary>
    public static (EncodedText[] Forward, EncodedText[] Backward) Encode(BertWordPieceTokenizer tokenizer, IReadOnlyList<string> first,
                                                                        IReadOnlyList<string> second, int maxTokens)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        if (first.Count != second.Count) throw new ArgumentException($"{first.Count} first texts but {second.Count} second texts.", nameof(second));
        return ([.. first.Select((a, i) => tokenizer.EncodePair(a, second[i], maxTokens))],
                [.. first.Select((a, i) => tokenizer.EncodePair(second[i], a, maxTokens))]);
    }

    /// <summary>Logits of every sentence head [pairs, outputs] from the summed pooled vectors of the two orderings (batches of the same pairs, in the same row order).</summary>
    public static Dictionary<string, Tensor> Forward(TransferModel model, TokenBatch forward, TokenBatch backward)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (forward.BatchSize != backward.BatchSize)
            throw new ArgumentException($"The orderings hold {forward.BatchSize} and {backward.BatchSize} pairs; they must be the same pairs.", nameof(backward));
        using var scope = NewDisposeScope();
        var summed = model.Features(forward.InputIds, forward.TokenTypeIds, forward.AttentionMask)
                          .Plus(model.Features(backward.InputIds, backward.TokenTypeIds, backward.AttentionMask));
        var logits = model.HeadsOn(summed);
        foreach (var l in logits.Values) l.MoveToOuterDisposeScope();
        return logits;
    }

    /// <summary>
    /// <see cref="Forward"/>'s outputs (in eval mode) from the two orderings' ordinary head outputs [task][pair][output], as
    /// <see cref="TaskPredictor"/> returns them on any runtime: a head is linear, so head(f + g) = head(f) + head(g) − bias
    /// (regression outputs, already in target units: y(f) + y(g) − mean − bias × std). Tagging tasks keep null rows.
    /// </summary>
    public static float[][][] Combine(TransferModel model, float[][][] forward, float[][][] backward)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Combine(model.Tasks, task => model.Head(task).Bias(), forward, backward);
    }

    /// <summary><see cref="Combine(TransferModel, float[][][], float[][][])"/> from the tasks and each sentence head's bias, by task name (no module needed).</summary>
    public static float[][][] Combine(IReadOnlyList<TaskSpec> tasks, Func<string, float[]> headBias, float[][][] forward, float[][][] backward)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        ArgumentNullException.ThrowIfNull(headBias);
        var combined = new float[tasks.Count][][];
        for (int t = 0; t < tasks.Count; t++)
        {
            if (forward[t].Length != backward[t].Length)
                throw new ArgumentException($"Task '{tasks[t].Name}': {forward[t].Length} and {backward[t].Length} pairs; the orderings must hold the same pairs.", nameof(backward));
            combined[t] = new float[forward[t].Length][];
            if (tasks[t].Kind == TaskKind.Tagging) continue;
            var bias = headBias(tasks[t].Name);
            var offset = tasks[t].Kind == TaskKind.Regression
                ? [(float)(bias[0] * tasks[t].TargetStd + tasks[t].TargetMean)]
                : bias;
            for (int r = 0; r < forward[t].Length; r++)
                combined[t][r] = forward[t][r].Select((v, o) => v + backward[t][r][o] - offset[o]).ToArray();
        }
        return combined;
    }

    /// <summary>Each task's outputs [task][pair][output] of symmetric pairs, both orderings run by <paramref name="predictor"/> (any runtime).</summary>
    public static float[][][] Predict(TransferModel model, TaskPredictor predictor, IReadOnlyList<EncodedText> forward, IReadOnlyList<EncodedText> backward)
    {
        ArgumentNullException.ThrowIfNull(predictor);
        return Combine(model, predictor.Predict(forward), predictor.Predict(backward));
    }
}
