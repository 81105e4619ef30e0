using MLNet.Transfer.Models.Heads;
using MLNet.Transfer.Models.Tagging;
using MLNet.Transfer.Onnx;
using MLNet.Transfer.Text;

namespace MLNet.Transfer.Inference;

/// <summary>
/// A <see cref="TaskPredictor"/> whose forward passes run on the engine resolved from the user's
/// <see cref="InferenceEngine"/>: on ONNX Runtime, each padded batch goes through our export of the task model (encoder,
/// pooling, every head; regression already in target units). The tagging tasks of a multi-task model run on the same
/// engine (<see cref="Tagger"/>): on ONNX Runtime the same session also outputs each tagging head's emissions, decoded by
/// the same C# code as on LibTorch.
/// </summary>
internal sealed class EngineTaskPredictor
{
    private static readonly TaskKind[] ExportedKinds = [TaskKind.Binary, TaskKind.Multiclass, TaskKind.Regression, TaskKind.MultiLabel, TaskKind.Tagging];
    private readonly TaskModelSource _model;
    private readonly LazyOnnxSession? _session;

    /// <summary>Resolves the engine and builds the predictor (the ONNX Runtime session is built on first use).</summary>
    /// <exception cref="NotSupportedException"><paramref name="requested"/> is OnnxRuntime and the model cannot run there.</exception>
    public EngineTaskPredictor(TransferModel model, int padId, int batchSize, InferenceEngine requested)
        : this(new TaskModelSource(model), padId, batchSize, requested)
    {
    }

    /// <summary>
    /// The same for a model that may still be in its weights file: ONNX Runtime then exports from the file, and only
    /// LibTorch builds the TorchSharp module.
    /// </summary>
    public EngineTaskPredictor(TaskModelSource model, int padId, int batchSize, InferenceEngine requested)
    {
        ArgumentNullException.ThrowIfNull(model);
        _model = model;
        var other = model.Tasks.FirstOrDefault(t => !ExportedKinds.Contains(t.Kind));
        string? obstacle = other is null ? null : $"task '{other.Name}' ({other.Kind}) is not part of the ONNX export";
        Engine = model.DeferredEncoder is { } encoder
            ? InferenceEngines.Resolve(requested, encoder, model.Pooling, obstacle)
            : InferenceEngines.Resolve(requested, model.Model.Encoder, model.Pooling, obstacle);
        if (Engine == InferenceEngine.LibTorch)
        {
            Predictor = new TaskPredictor(model.Model, padId, batchSize);
            return;
        }
        var sentenceTasks = model.Tasks.Where(t => t.Kind != TaskKind.Tagging).ToArray();
        var outputs = sentenceTasks.Select(t => OnnxExport.OutputName(t, model.Tasks.Count)).ToArray();
        var export = InferenceEngines.ExportOptions(Engine);
        var session = _session = new LazyOnnxSession(stream => model.WriteOnnx(stream, export), padId);
        Predictor = new TaskPredictor(model.Tasks, batch =>
        {
            // A text batch still feeds the tagging heads' word inputs (one placeholder word per row); only the sentence outputs are read.
            var results = session.Run(batch, outputs, WordPlaceholders(batch.Count));
            int next = 0;
            return model.Tasks.Select(t => t.Kind == TaskKind.Tagging ? [] : results[next++]).ToArray();
        }, batchSize);
    }

    /// <summary>The predictor of the sentence tasks (tagging tasks get null rows).</summary>
    public TaskPredictor Predictor { get; }

    /// <summary>The engine that runs: <see cref="InferenceEngine.OnnxRuntime"/>, <see cref="InferenceEngine.OnnxRuntimeInt8"/> or <see cref="InferenceEngine.LibTorch"/>.</summary>
    public InferenceEngine Engine { get; }

    /// <summary>
    /// The predictor of tagging task <paramref name="task"/> on <see cref="Engine"/>: on ONNX Runtime over the task model's
    /// session (its "&lt;task&gt;.emissions" output), on LibTorch over the module's tagging head.
    /// </summary>
    public TagPredictor Tagger(TaskSpec task, BertWordPieceTokenizer tokenizer, int maxTokens, int batchSize)
    {
        if (task.Kind != TaskKind.Tagging) throw new ArgumentException($"Task '{task.Name}' is not a tagging task.", nameof(task));
        if (_session is null) return new TagPredictor(_model.Model.Tagger(task.Name), tokenizer, maxTokens, batchSize);
        return EngineTagPredictor.OverSession(task.Tagging!, () => _model.CrfScores(task.Name), tokenizer, maxTokens, batchSize, _session,
                                              OnnxExport.EmissionsOutputName(task, _model.Tasks.Count), WordShapesInput);
    }

    /// <summary>Whether the export takes word shapes (some tagging head uses casing features).</summary>
    private bool WordShapesInput => _model.Tasks.Any(t => t.Tagging?.CasingFeatures == true);

    /// <summary>Zeros [rows, 1] for the word inputs of the tagging heads, or none when the model has no tagging task.</summary>
    private List<OnnxRuntimeSession.Int64Input>? WordPlaceholders(int rows)
    {
        if (_model.Tasks.All(t => t.Kind != TaskKind.Tagging)) return null;
        long[] shape = [rows, 1];
        var inputs = new List<OnnxRuntimeSession.Int64Input> { new(TaggerOnnxExport.WordPositions, new long[rows], shape) };
        if (WordShapesInput) inputs.Add(new(TaggerOnnxExport.WordShapes, new long[rows], shape));
        return inputs;
    }
}
