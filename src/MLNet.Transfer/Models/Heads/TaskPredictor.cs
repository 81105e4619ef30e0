using MLNet.Transfer.Text;
using static TorchSharp.torch;

namespace MLNet.Transfer.Models.Heads;

/// <summary>
/// Runs a <see cref="TransferModel"/> without autograd over tokenized texts, batched by length, and returns
/// each task's outputs per text: binary → [logit], multiclass → class logits, regression → [value in target
/// units], multi-label → label logits; tagging tasks get null rows (they tag words: <see cref="Tagging.TagPredictor"/>).
/// Thread-safe (no per-call state on the instance).
/// </summary>
public sealed class TaskPredictor
{
    private readonly TransferModel _model;
    private readonly int _padId;
    private readonly int _batchSize;

    /// <summary>Creates a predictor; <paramref name="padId"/> is the tokenizer's [PAD] id.</summary>
    public TaskPredictor(TransferModel model, int padId, int batchSize = 32)
    {
        _model = model;
        _padId = padId;
        _batchSize = batchSize;
    }

    /// <summary>Outputs [task][text][output] for <paramref name="items"/>, in input order.</summary>
    public float[][][] Predict(IReadOnlyList<EncodedText> items)
    {
        var tasks = _model.Tasks;
        var result = tasks.Select(_ => new float[items.Count][]).ToArray();
        if (items.Count == 0 || !_model.SentenceTasks.Any()) return result;
        var device = _model.Encoder.Device;
        foreach (var group in LengthBatching.Batches(items.Select(i => i.Length).ToArray(), _batchSize))
        {
            using var scope = NewDisposeScope();
            using var mode = inference_mode();
            using var batch = TokenBatch.Create(group.Select(i => items[i]).ToArray(), _padId, device);
            var logits = _model.Forward(batch.InputIds, batch.TokenTypeIds, batch.AttentionMask);
            for (int t = 0; t < tasks.Count; t++)
            {
                var task = tasks[t];
                if (task.Kind == TaskKind.Tagging) continue;
                var output = logits[task.Name].to(ScalarType.Float32).cpu().contiguous();
                var flat = output.data<float>().ToArray();
                int width = task.Outputs;
                for (int r = 0; r < group.Length; r++)
                {
                    var row = flat.AsSpan(r * width, width).ToArray();
                    if (task.Kind == TaskKind.Regression) row[0] = (float)(row[0] * task.TargetStd + task.TargetMean);
                    result[t][group[r]] = row;
                }
            }
        }
        return result;
    }
}
