using Microsoft.ML.Data;
using MLNet.Transfer.MLNetIntegration;
using MLNet.Transfer.Runtime;

namespace Microsoft.ML;

/// <summary>Moving a fitted or loaded model to another device (e.g. a GPU), from <c>mlContext.Model</c>.</summary>
public static class DeviceCatalog
{
    /// <summary>
    /// <paramref name="model"/> with every contextual-embedding, fine-tuned and tagging transformer in it running on
    /// <paramref name="device"/> ("cpu", "cuda" or "cuda:N"; a loaded model.zip runs on the CPU). Transformers already there
    /// are reused; the others are copied (their own weights on the device; the originals keep working), and other
    /// transformers are reused as they are. A chain is rebuilt as a <see cref="TransformerChain{T}"/> of
    /// <see cref="ITransformer"/>. On a GPU, <see cref="MLNet.Transfer.InferenceEngine.Auto"/> runs on LibTorch (ONNX Runtime
    /// runs on the CPU here).
    /// </summary>
    /// <exception cref="ArgumentException">An unknown device name.</exception>
    /// <exception cref="InvalidOperationException">CUDA was asked for but is not available (no CUDA LibTorch package or no GPU).</exception>
    public static ITransformer WithDevice(this ModelOperationsCatalog catalog, ITransformer model, string device)
    {
        ArgumentNullException.ThrowIfNull(model);
        var target = TorchDevice.Resolve(device);
        return TransformerTree.Map(model, t => t switch
        {
            ContextualEmbeddingTransformer embeddings => EncoderWithHeads.Same(embeddings.Encoder.Device, target) ? embeddings : embeddings.CopyTo(target),
            FineTunedTextTransformer fineTuned => EncoderWithHeads.Same(fineTuned.Encoder.Device, target) ? fineTuned : fineTuned.CopyTo(target),
            TokenClassificationTransformer tagger => EncoderWithHeads.Same(tagger.Encoder.Device, target) ? tagger : tagger.CopyTo(target),
            _ => null,
        });
    }
}
