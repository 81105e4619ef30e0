using MLNet.Transfer.Checkpoints;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.Models;
using MLNet.Transfer.Models.Heads;
using MLNet.Transfer.Models.Tagging;
using MLNet.Transfer.Onnx;
using static TorchSharp.torch;

namespace MLNet.Transfer.Inference;

/// <summary>
/// A fine-tuned task model (a BERT with sentence and tagging heads) as inference and saving need it: either its TorchSharp module, or —
/// for a model zip loaded on the CPU — the weights still in a private copy of the zip's weights entry, from which the ONNX
/// Runtime engine exports and <c>Model.Save</c> copies without building the module. The module is built (around the
/// encoder's own module, heads loaded from the file) when something needs it: LibTorch, an export, a device copy.
/// </summary>
internal sealed class TaskModelSource : DeferredModelSource<TransferModel>
{
    /// <summary>A built model.</summary>
    public TaskModelSource(TransferModel model) : base(model)
    {
        Tasks = model.Tasks;
        Pooling = model.Pooling;
    }

    /// <summary>A model whose encoder is <paramref name="encoder"/> (deferred over <paramref name="weights"/>, which also hold the heads).</summary>
    public TaskModelSource(PretrainedEncoder encoder, DeferredBertWeights weights, IReadOnlyList<TaskSpec> tasks, PoolingMode pooling) : base(encoder, weights)
    {
        Tasks = tasks;
        Pooling = pooling;
    }

    /// <summary>
    /// The heads a task model over a BERT of <paramref name="config"/> stores for <paramref name="tasks"/>: names and shapes
    /// of the sentence heads ("heads.&lt;task&gt;.*") and the tagging heads ("taggers.&lt;task&gt;.*").
    /// </summary>
    public static IReadOnlyList<(string Name, long[] Shape)> HeadWeights(BertConfig config, IReadOnlyList<TaskSpec> tasks, PoolingMode pooling)
    {
        long width = Models.Pooling.Width(pooling, config.HiddenSize);
        return tasks.SelectMany(t => t.Kind == TaskKind.Tagging
            ? TaggingModel.HeadWeightShapes(t.Tagging!, config.HiddenSize, config.NumHiddenLayers).Select(w => ($"taggers.{t.Name}.{w.Name}", w.Shape))
            : new (string, long[])[] { ($"heads.{t.Name}.classifier.weight", [t.Outputs, width]), ($"heads.{t.Name}.classifier.bias", [t.Outputs]) }).ToArray();
    }

    /// <summary>The tasks, in head order.</summary>
    public IReadOnlyList<TaskSpec> Tasks { get; }

    /// <summary>How token states are pooled for the heads.</summary>
    public PoolingMode Pooling { get; }

    /// <inheritdoc/>
    protected override TransferModel Build(TextEncoder encoder, IReadOnlyDictionary<string, Tensor> tensors)
    {
        var model = new TransferModel(encoder, Tasks, Pooling, 0);
        foreach (var task in Tasks)
        {
            if (task.Kind == TaskKind.Tagging) StateDictLoader.Load(model.Tagger(task.Name), StateDictLoader.Under(tensors, $"taggers.{task.Name}."), Weights!.Source);
            else StateDictLoader.Load(model.Head(task.Name), StateDictLoader.Under(tensors, $"heads.{task.Name}."), Weights!.Source);
        }
        return model;
    }

    /// <summary>The bias of <paramref name="task"/>'s sentence head (float32), read from the file while it is deferred.</summary>
    public float[] HeadBias(string task) => DeferredEncoder is not null
        ? Weights!.ReadFloats($"heads.{task}.classifier.bias")
        : Model.Head(task).Bias();

    /// <summary>The CRF scores of tagging task <paramref name="task"/> (null for a linear head), read from the file while it is deferred.</summary>
    public (float[] Start, float[] End, float[,] Transitions)? CrfScores(string task)
    {
        var spec = Tasks.First(t => t.Name == task).Tagging ?? throw new ArgumentException($"Task '{task}' is not a tagging task.", nameof(task));
        if (spec.Head != TaggingHead.Crf) return null;
        return DeferredEncoder is not null ? Weights!.CrfScores($"taggers.{task}.crf.") : Model.Tagger(task).Crf!.Scores();
    }

    /// <summary>Writes the task model's ONNX export (see <see cref="OnnxExport.Write(TransferModel, Stream, OnnxExportOptions?)"/>), from the file while it is deferred.</summary>
    public void WriteOnnx(Stream stream, OnnxExportOptions? options)
    {
        if (DeferredEncoder is not null) OnnxExport.WriteTaskModel(Weights!.Config, Weights.AllForExport(), Pooling, Tasks, stream, options);
        else OnnxExport.Write(Model, stream, options);
    }
}
