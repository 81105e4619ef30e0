using Microsoft.ML;
using MLNet.Transfer.MLNetIntegration;

namespace MLNet.Transfer.AI;

/// <summary>Finds the contextual embeddings inside a saved ML.NET model (alone or anywhere in nested transformer chains).</summary>
internal static class SavedEmbeddings
{
    /// <summary>
    /// Loads <paramref name="path"/> and returns its <see cref="ContextualEmbeddingTransformer"/> writing
    /// <paramref name="outputColumnName"/> (null: the only one). Other components of the model are released.
    /// </summary>
    public static ContextualEmbeddingTransformer Find(string path, string? outputColumnName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"Model file '{path}' does not exist.", path);
        var model = new MLContext().RegisterTransferComponents().Model.Load(path, out _);
        try
        {
            var found = Flatten(model).OfType<ContextualEmbeddingTransformer>().ToList();
            if (found.Count == 0)
                throw new ArgumentException($"'{path}' contains no contextual embeddings (ApplyContextualEmbeddings, SetFit or AdaptLanguageModel); " +
                                            $"it has: {string.Join(", ", Flatten(model).Select(t => t.GetType().Name))}.", nameof(path));
            string columns = string.Join(", ", found.Select(t => $"'{t.Options.OutputColumnName}'"));
            if (outputColumnName is null)
                return found.Count == 1 ? found[0]
                    : throw new ArgumentException($"'{path}' has {found.Count} embedding columns ({columns}); name the one to use.", nameof(outputColumnName));
            return found.LastOrDefault(t => t.Options.OutputColumnName == outputColumnName)
                ?? throw new ArgumentException($"'{path}' has no embeddings in column '{outputColumnName}'; it has {columns}.", nameof(outputColumnName));
        }
        finally
        {
            (model as IDisposable)?.Dispose();
        }
    }

    private static IEnumerable<ITransformer> Flatten(ITransformer transformer) => transformer is IEnumerable<ITransformer> chain
        ? chain.SelectMany(Flatten)
        : [transformer];
}
