using MLNet.Transfer.Encoders;
using MLNet.Transfer.Models;
using MLNet.Transfer.Models.Bert;
using MLNet.Transfer.Onnx;
using MLNet.Transfer.Runtime;
using TorchSharp;

namespace MLNet.Transfer.Inference;

/// <summary>
/// Which engine runs a model: the rule behind <see cref="InferenceEngine.Auto"/> (ONNX Runtime whenever it can run the
/// model, LibTorch otherwise) and the error of an explicit <see cref="InferenceEngine.OnnxRuntime"/> it cannot honour.
/// </summary>
internal static class InferenceEngines
{
    /// <summary>Poolings the ONNX export emits (the recurrent models' Last and LastMaxMean are not among them).</summary>
    private static readonly PoolingMode[] ExportedPoolings = [PoolingMode.Cls, PoolingMode.Mean, PoolingMode.Max, PoolingMode.MeanMax];

    /// <summary>
    /// <see cref="InferenceEngine.OnnxRuntime"/>, <see cref="InferenceEngine.OnnxRuntimeInt8"/> (only when asked for) or
    /// <see cref="InferenceEngine.LibTorch"/>: the engine that runs a model on
    /// <paramref name="encoder"/> pooled as <paramref name="pooling"/> when the user asked for <paramref name="requested"/>.
    /// </summary>
    /// <param name="requested">The user's choice.</param>
    /// <param name="encoder">The model's encoder.</param>
    /// <param name="pooling">How its token states are pooled (null: the model pools nothing, e.g. a tagger).</param>
    /// <param name="obstacle">A reason the caller knows why ONNX Runtime cannot run this model (e.g. token-level output), or null.</param>
    /// <exception cref="NotSupportedException"><paramref name="requested"/> is OnnxRuntime or OnnxRuntimeInt8 and the model cannot run there; the message says why.</exception>
    public static InferenceEngine Resolve(InferenceEngine requested, TextEncoder encoder, PoolingMode? pooling, string? obstacle = null) =>
        Resolve(requested, () => Obstacle(encoder, pooling), obstacle);

    /// <summary>
    /// <see cref="Resolve(InferenceEngine, TextEncoder, PoolingMode?, string?)"/> for a <see cref="PretrainedEncoder"/>, whose
    /// weights may still be in their file: the check then reads the config, without building the TorchSharp module.
    /// </summary>
    public static InferenceEngine Resolve(InferenceEngine requested, PretrainedEncoder encoder, PoolingMode? pooling, string? obstacle = null) =>
        Resolve(requested, () => encoder.Deferred is { } deferred ? Obstacle(deferred, pooling) : Obstacle(encoder.Model, pooling), obstacle);

    private static InferenceEngine Resolve(InferenceEngine requested, Func<string?> modelObstacle, string? obstacle)
    {
        if (!Enum.IsDefined(requested))
            throw new ArgumentOutOfRangeException(nameof(requested), requested, $"InferenceEngine must be one of {string.Join(", ", Enum.GetNames<InferenceEngine>())}.");
        if (requested == InferenceEngine.LibTorch)
        {
            LibTorchRequirement.Ensure("InferenceEngine.LibTorch");
            return InferenceEngine.LibTorch;
        }
        obstacle ??= modelObstacle();
        if (obstacle is null) return requested == InferenceEngine.Auto ? InferenceEngine.OnnxRuntime : requested;
        if (requested != InferenceEngine.Auto)
            throw new NotSupportedException($"InferenceEngine.{requested} cannot run this model: {obstacle}. Use InferenceEngine.Auto (which falls back to LibTorch) or InferenceEngine.LibTorch.");
        LibTorchRequirement.Ensure($"InferenceEngine.Auto for this model (it falls back to LibTorch: {obstacle})");
        return InferenceEngine.LibTorch;
    }

    /// <summary>The export options of the ONNX Runtime session for <paramref name="engine"/> (int8 weights for <see cref="InferenceEngine.OnnxRuntimeInt8"/>).</summary>
    public static OnnxExportOptions ExportOptions(InferenceEngine engine) => new() { Int8Weights = engine == InferenceEngine.OnnxRuntimeInt8 };

    /// <summary>Why ONNX Runtime cannot run <paramref name="encoder"/> pooled as <paramref name="pooling"/>, or null when it can.</summary>
    private static string? Obstacle(TextEncoder encoder, PoolingMode? pooling)
    {
        BertModel bert;
        try { bert = OnnxExport.RequireBert(encoder); }
        catch (NotSupportedException e) { return e.Message.TrimEnd('.'); }
        if (bert.Config.IsDecoder == true) return "its encoder is a causal (decoder) model, which the ONNX export does not cover";
        if (encoder.Device.type != DeviceType.CPU) return $"ONNX Runtime runs on the CPU here and the encoder is on {encoder.Device}";
        if (bert.BFloat16Inference) return "bf16 inference is switched on (UseBFloat16Inference), which runs on LibTorch";
        return Obstacle(pooling, bert.parameters().Sum(p => p.NumberOfElements * p.ElementSize));
    }

    /// <summary>Why ONNX Runtime cannot run deferred BERT weights (a CPU encoder, neither causal nor bf16) pooled as <paramref name="pooling"/>, or null.</summary>
    private static string? Obstacle(DeferredBertWeights weights, PoolingMode? pooling) => Obstacle(pooling, weights.WeightBytes);

    private static string? Obstacle(PoolingMode? pooling, long weightBytes)
    {
        if (pooling is { } p && !ExportedPoolings.Contains(p)) return $"{p} pooling is not part of the ONNX export";
        if (weightBytes >= int.MaxValue) return "its weights exceed 2 GiB, the largest ONNX model without external data";
        return null;
    }
}
