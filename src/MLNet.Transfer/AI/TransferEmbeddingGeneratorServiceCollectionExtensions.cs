using Microsoft.Extensions.AI;
using MLNet.Transfer.AI;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers a <see cref="TransferEmbeddingGenerator"/> as the application's <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/>.</summary>
public static class TransferEmbeddingGeneratorServiceCollectionExtensions
{
    /// <summary>
    /// Registers <c>IEmbeddingGenerator&lt;string, Embedding&lt;float&gt;&gt;</c> as a singleton
    /// <see cref="TransferEmbeddingGenerator"/>, loaded on first use and disposed with the container, e.g.
    /// <c>services.AddTransferEmbeddingGenerator("minilm", o => o.Settings = new EmbeddingSettings { MaxTokens = 128 })</c>.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="model">Embedded model name ("minilm", "arctic-xs"), model directory or saved ML.NET model file.</param>
    /// <param name="configure">Sets further <see cref="TransferEmbeddingGeneratorOptions"/> (settings, device, column).</param>
    public static IServiceCollection AddTransferEmbeddingGenerator(this IServiceCollection services, string model = "minilm",
                                                                   Action<TransferEmbeddingGeneratorOptions>? configure = null)
    {
        var options = Options(services, model, configure);
        return services.AddSingleton<IEmbeddingGenerator<string, Embedding<float>>>(_ => options.Create());
    }

    /// <summary>As <see cref="AddTransferEmbeddingGenerator"/>, registered under <paramref name="serviceKey"/> (several models side by side).</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="serviceKey">The key to resolve it with (<c>[FromKeyedServices(key)]</c>, <c>GetRequiredKeyedService</c>).</param>
    /// <param name="model">Embedded model name ("minilm", "arctic-xs"), model directory or saved ML.NET model file.</param>
    /// <param name="configure">Sets further <see cref="TransferEmbeddingGeneratorOptions"/> (settings, device, column).</param>
    public static IServiceCollection AddKeyedTransferEmbeddingGenerator(this IServiceCollection services, object? serviceKey, string model = "minilm",
                                                                        Action<TransferEmbeddingGeneratorOptions>? configure = null)
    {
        var options = Options(services, model, configure);
        return services.AddKeyedSingleton<IEmbeddingGenerator<string, Embedding<float>>>(serviceKey, (_, _) => options.Create());
    }

    private static TransferEmbeddingGeneratorOptions Options(IServiceCollection services, string model, Action<TransferEmbeddingGeneratorOptions>? configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = new TransferEmbeddingGeneratorOptions { Model = model };
        configure?.Invoke(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Model, nameof(model));
        return options;
    }
}
