using MLNet.Transfer.Text;
using static TorchSharp.torch;

namespace MLNet.Transfer.Models.Heads;

/// <summary>
/// Runs a <see cref="TransferModel"/> without autograd over tokenized texts, batched by length, and returns
/// each task's outputs per text: binary → [logit], multiclass → class logits, regression → [value in target
/// units], multi-label → label logits; tagging tasks get null rows (they tag words: <see cref="Tagging.TagPredictor"/>).
/// Thread-safe (no per-call state on the instance).
/// </summary>
/// <remarks>
/// The forward pass of each padded batch runs on LibTorch unless another runtime is given (the ML.NET layer's
/// <c>InferenceEngine</c>); batching and the per-text split are the same on every runtime.
/// </remarks>
public sealed class TaskPredictor
{
    private readonly IReadOnlyList<TaskSpec> _tasks;
    private readonly Func<IReadOnlyList<EncodedText>, float[][]> _forward;
    private readonly int _batchSize;

    /// <summary>Creates a predictor; <paramref name="padId"/> is the tokenizer's [PAD] id.</summary>
    public TaskPredictor(TransferModel model, int padId, int batchSize = 32)
        : this(model.Tasks, batch => TorchForward(model, padId, batch), batchSize)
    {
    }

    /// <summary>
    /// A predictor whose per-batch forward pass runs elsewhere: <paramref name="forward"/> maps one batch of encoded items
    /// to each task's outputs, flat row-major [items × outputs] per task in <paramref name="tasks"/> order (regression in
    /// target units).
    /// </summary>
    internal TaskPredictor(IReadOnlyList<TaskSpec> tasks, Func<IReadOnlyList<EncodedText>, float[][]> forward, int batchSize)
    {
        _tasks = tasks;
        _forward = forward;
        _batchSize = batchSize;
    }

    /// <summary>Outputs [task][text][output] for <paramref name="items"/>, in input order.</summary>
    public float[][][] Predict(IReadOnlyList<EncodedText> items)
    {
        var result = _tasks.Select(_ => new float[items.Count][]).ToArray();
        if (items.Count == 0 || _tasks.All(t => t.Kind == TaskKind.Tagging)) return result;
        foreach (var group in LengthBatching.Batches(items.Select(i => i.Length).ToArray(), _batchSize))
        {
            var outputs = _forward(group.Select(i => items[i]).ToArray());
            for (int t = 0; t < _tasks.Count; t++)
            {
                if (_tasks[t].Kind == TaskKind.Tagging) continue;
                int width = _tasks[t].Outputs;
                for (int r = 0; r < group.Length; r++) result[t][group[r]] = outputs[t].AsSpan(r * width, width).ToArray();
            }
        }
        return result;
    }

    /// <summary>The LibTorch forward pass of one padded batch: each sentence task's outputs, flat, regression rescaled to target units (tagging tasks: empty).</summary>
    private static float[][] TorchForward(TransferModel model, int padId, IReadOnlyList<EncodedText> items)
    {
        using var scope = NewDisposeScope();
        using var mode = inference_mode();
        using var batch = TokenBatch.Create(items, padId, model.Encoder.Device);
        var logits = model.Forward(batch.InputIds, batch.TokenTypeIds, batch.AttentionMask);
        return model.Tasks.Select(task =>
        {
            if (task.Kind == TaskKind.Tagging) return [];
            var flat = logits[task.Name].to(ScalarType.Float32).cpu().contiguous().data<float>().ToArray();
            if (task.Kind == TaskKind.Regression)
                for (int r = 0; r < flat.Length; r++) flat[r] = (float)(flat[r] * task.TargetStd + task.TargetMean);
            return flat;
        }).ToArray();
    }
}
