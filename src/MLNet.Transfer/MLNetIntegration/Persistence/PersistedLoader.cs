using Microsoft.ML.Runtime;

namespace MLNet.Transfer.MLNetIntegration;

/// <summary>
/// The loader ML.NET's <c>ComponentCatalog</c> calls for component <typeparamref name="T"/>. The catalog accepts a
/// separate loader type whose static <c>Create(IHostEnvironment, ModelLoadContext)</c> returns exactly the instance
/// type; <c>ModelLoadContext</c> is internal, so the parameter is <see cref="object"/> (the catalog's binder accepts it).
/// One closed generic per component type means component authors write no loader at all.
/// </summary>
/// <typeparam name="T">The component type.</typeparam>
internal static class PersistedLoader<T>
    where T : class, IPersistableModel<T>
{
    /// <summary>The component's info (read through the static abstract member).</summary>
    internal static PersistedModelInfo Info => T.ModelInfo;

    /// <summary>Called by ML.NET (found by name and parameter types) to load <typeparamref name="T"/>.</summary>
    internal static T Create(IHostEnvironment env, object ctx) => ModelPersistence.Load<T>(env, ctx);
}
