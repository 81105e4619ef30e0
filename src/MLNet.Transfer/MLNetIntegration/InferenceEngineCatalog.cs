using Microsoft.ML.Data;
using MLNet.Transfer;
using MLNet.Transfer.MLNetIntegration;

namespace Microsoft.ML;

/// <summary>Switching the inference engine of a fitted or loaded model, from <c>mlContext.Model</c>.</summary>
public static class InferenceEngineCatalog
{
    /// <summary>
    /// <paramref name="model"/> with every contextual-embedding, fine-tuned and token-classification transformer in it computed on
    /// <paramref name="engine"/> (e.g. a loaded model.zip run on <see cref="InferenceEngine.LibTorch"/>); weights are shared,
    /// not copied, and other transformers are reused as they are. Returns <paramref name="model"/> itself when it holds none.
    /// A chain is rebuilt as a <see cref="TransformerChain{T}"/> of <see cref="ITransformer"/> in which every step applies
    /// to scoring.
    /// </summary>
    /// <exception cref="NotSupportedException"><paramref name="engine"/> is OnnxRuntime and cannot run one of the transformers.</exception>
    public static ITransformer WithInferenceEngine(this ModelOperationsCatalog catalog, ITransformer model, InferenceEngine engine)
    {
        ArgumentNullException.ThrowIfNull(model);
        return TransformerTree.Map(model, t => t switch
        {
            ContextualEmbeddingTransformer embeddings => embeddings.WithInferenceEngine(engine),
            FineTunedTextTransformer fineTuned => fineTuned.WithInferenceEngine(engine),
            TokenClassificationTransformer tagger => tagger.WithInferenceEngine(engine),
            _ => null,
        });
    }
}
