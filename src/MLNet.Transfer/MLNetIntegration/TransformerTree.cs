using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.Transfer.MLNetIntegration;

/// <summary>Rewrites the transformers of a fitted or loaded model, recursing into chains (engine and device switches).</summary>
internal static class TransformerTree
{
    /// <summary>
    /// <paramref name="model"/> with each transformer replaced by <paramref name="replace"/>'s result (null: kept as it is). A chain
    /// is rebuilt as a <see cref="TransformerChain{T}"/> of <see cref="ITransformer"/> in which every step applies to scoring;
    /// <paramref name="model"/> itself is returned when nothing changed.
    /// </summary>
    public static ITransformer Map(ITransformer model, Func<ITransformer, ITransformer?> replace)
    {
        if (replace(model) is { } replaced) return replaced;
        if (model is not IEnumerable<ITransformer> chain) return model;
        var steps = chain.ToArray();
        var mapped = steps.Select(t => Map(t, replace)).ToArray();
        return mapped.SequenceEqual(steps) ? model : new TransformerChain<ITransformer>(mapped);
    }
}
