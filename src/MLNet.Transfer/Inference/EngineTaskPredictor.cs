using MLNet.Transfer.Models.Heads;
using MLNet.Transfer.Onnx;

namespace MLNet.Transfer.Inference;

/// <summary>
/// A <see cref="TaskPredictor"/> whose forward passes run on the engine resolved from the user's
/// <see cref="InferenceEngine"/>: on ONNX Runtime, each padded batch goes through our export of the task model (encoder,
/// pooling, every head; regression already in target units).
/// </summary>
internal sealed class EngineTaskPredictor
{
    private static readonly TaskKind[] ExportedKinds = [TaskKind.Binary, TaskKind.Multiclass, TaskKind.Regression, TaskKind.MultiLabel];

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
        var outputs = model.Tasks.Select(t => OnnxExport.OutputName(t, model.Tasks.Count)).ToArray();
        var export = InferenceEngines.ExportOptions(Engine);
        var session = new LazyOnnxSession(stream => model.WriteOnnx(stream, export), padId);
        Predictor = new TaskPredictor(model.Tasks, batch => session.Run(batch, outputs), batchSize);
    }

    /// <summary>The predictor.</summary>
    public TaskPredictor Predictor { get; }

    /// <summary>The engine that runs: <see cref="InferenceEngine.OnnxRuntime"/>, <see cref="InferenceEngine.OnnxRuntimeInt8"/> or <see cref="InferenceEngine.LibTorch"/>.</summary>
    public InferenceEngine Engine { get; }
}
