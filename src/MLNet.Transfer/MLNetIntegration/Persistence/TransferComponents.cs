using System.Collections.Concurrent;
using System.Reflection;
using Microsoft.ML;

namespace MLNet.Transfer.MLNetIntegration;

/// <summary>
/// Registers MLNet.Transfer's persistable components in an <see cref="MLContext"/> so that
/// <c>mlContext.Model.Load</c> can rebuild them. Call once per <see cref="MLContext"/> before loading a model that
/// contains them (saving needs no registration).
/// </summary>
/// <remarks>
/// <para>Why a call is needed: each <see cref="MLContext"/> has its own component catalog, and ML.NET finds a loader
/// only through an internal attribute on a registered assembly, which only Microsoft-signed assemblies can carry.
/// When the call is forgotten, <c>Model.Load</c> fails with ML.NET's own message,
/// <c>Couldn't load model: '&lt;directory of the component&gt;'</c> (e.g. <c>TransformerChain/Transform_000</c>; inside a
/// chain it is the inner exception of an <see cref="InvalidOperationException"/> "Error during class instantiation");
/// no MLNet.Transfer code runs during such a load, so the message cannot be improved.</para>
/// <para>Calls are idempotent and thread-safe; registering a second <see cref="MLContext"/> is independent of the first.</para>
/// </remarks>
public static class TransferComponents
{
    private static readonly ConcurrentDictionary<Assembly, Lazy<ComponentRegistrationAssembly>> s_registrations = new();

    /// <summary>Registers every <see cref="IPersistableModel{TSelf}"/> type of MLNet.Transfer in <paramref name="mlContext"/>.</summary>
    /// <param name="mlContext">The context that will load models.</param>
    /// <exception cref="NotSupportedException">This Microsoft.ML version's internals differ from those MLNet.Transfer supports.</exception>
    public static void Register(MLContext mlContext) => Register(mlContext, typeof(TransferComponents).Assembly);

    /// <summary>
    /// Registers every <see cref="IPersistableModel{TSelf}"/> type declared in <paramref name="componentAssembly"/>
    /// (for components written outside MLNet.Transfer, e.g. in an application or a test assembly).
    /// </summary>
    /// <param name="mlContext">The context that will load models.</param>
    /// <param name="componentAssembly">The assembly to scan (once per process) for persistable component types.</param>
    /// <exception cref="InvalidOperationException">Two components use the same loader signature, or a component's <c>ModelInfo</c> is invalid.</exception>
    /// <exception cref="NotSupportedException">This Microsoft.ML version's internals differ from those MLNet.Transfer supports.</exception>
    public static void Register(MLContext mlContext, Assembly componentAssembly)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(componentAssembly);
        ComponentRegistrationAssembly registration = s_registrations
            .GetOrAdd(componentAssembly, a => new Lazy<ComponentRegistrationAssembly>(() => BuildRegistration(a)))
            .Value;
        // The catalog locks internally and ignores an assembly full name it has already registered.
        mlContext.ComponentCatalog.RegisterAssembly(registration);
    }

    /// <summary>The persistable component types of <paramref name="assembly"/>: classes implementing <see cref="IPersistableModel{TSelf}"/> of themselves.</summary>
    internal static IReadOnlyList<Type> FindComponentTypes(Assembly assembly)
    {
        Type[] types;
        try
        {
            types = assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException e)
        {
            types = e.Types.Where(t => t is not null).ToArray()!;
        }
        return types
            .Where(t => t is { IsClass: true, IsAbstract: false, ContainsGenericParameters: false })
            .Where(t => t.GetInterfaces().Any(i => i.IsGenericType
                && i.GetGenericTypeDefinition() == typeof(IPersistableModel<>)
                && i.GetGenericArguments()[0] == t))
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .ToList();
    }

    private static ComponentRegistrationAssembly BuildRegistration(Assembly componentAssembly)
    {
        var attributes = new List<Attribute>();
        var bySignature = new Dictionary<string, Type>(StringComparer.OrdinalIgnoreCase);
        foreach (Type type in FindComponentTypes(componentAssembly))
        {
            Type loader = typeof(PersistedLoader<>).MakeGenericType(type);
            PersistedModelInfo info = InfoOf(type, loader);
            if (bySignature.TryGetValue(info.LoaderSignature, out Type? other))
                throw new InvalidOperationException(
                    $"{type.FullName} and {other.FullName} both use loader signature '{info.LoaderSignature}'; each component type needs its own.");
            bySignature.Add(info.LoaderSignature, type);
            attributes.Add(MlNetInternals.NewLoadableClassAttribute(type, loader, type.Name, info.LoaderSignature));
        }

        AssemblyName source = componentAssembly.GetName();
        var name = new AssemblyName($"MLNet.Transfer.Registration.{source.Name}") { Version = source.Version };
        return new ComponentRegistrationAssembly(name, attributes);
    }

    private static PersistedModelInfo InfoOf(Type type, Type loader)
    {
        try
        {
            return (PersistedModelInfo)loader.GetProperty(nameof(PersistedLoader<>.Info), BindingFlags.Static | BindingFlags.NonPublic)!
                .GetValue(null, BindingFlags.DoNotWrapExceptions, null, null, null)!;
        }
        catch (Exception e)
        {
            Exception cause = e is TypeInitializationException { InnerException: { } inner } ? inner : e;
            throw new InvalidOperationException($"{type.FullName}.ModelInfo is invalid: {cause.Message}", cause);
        }
    }
}
