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
        return OnDevice(model, TorchDevice.Resolve(device), copyAll: false);
    }

    /// <summary>
    /// <paramref name="model"/> with its transformers on <paramref name="target"/>: copied when elsewhere, or always with
    /// <paramref name="copyAll"/> (which lets tests check the copy on a machine without a GPU).
    /// </summary>
    internal static ITransformer OnDevice(ITransformer model, TorchSharp.torch.Device target, bool copyAll)
    {
        bool Move(TorchSharp.torch.Device current) => copyAll || !EncoderWithHeads.Same(current, target);
        return TransformerTree.Map(model, t => t switch
        {
            ContextualEmbeddingTransformer embeddings => Move(embeddings.Encoder.Device) ? embeddings.CopyTo(target) : embeddings,
            FineTunedTextTransformer fineTuned => Move(fineTuned.Encoder.Device) ? fineTuned.CopyTo(target) : fineTuned,
            TokenClassificationTransformer tagger => Move(tagger.Encoder.Device) ? tagger.CopyTo(target) : tagger,
            _ => null,
        });
    }
}
