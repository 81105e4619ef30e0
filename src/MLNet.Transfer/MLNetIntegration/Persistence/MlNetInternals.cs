using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.Transfer.MLNetIntegration;

/// <summary>
/// Every internal member of ML.NET that MLNet.Transfer reaches by reflection, and nothing else. ML.NET keeps
/// its model persistence API (<c>ModelLoadContext</c>, <c>VersionInfo</c>, <c>LoadableClassAttribute</c>,
/// <c>SignatureLoadModel</c>, most of <see cref="ModelSaveContext"/>) internal to Microsoft-signed assemblies;
/// these are the members a component needs to take part in <c>mlContext.Model.Save/Load</c>, plus the
/// <c>SchemaShape.Column</c> constructor estimators need for their output schema.
/// Members are resolved once, on first use; if any is missing, every call throws the same
/// <see cref="NotSupportedException"/> naming it.
/// </summary>
internal static class MlNetInternals
{
    /// <summary>The Microsoft.ML versions whose internals this shim was written against and tested with.</summary>
    internal const string SupportedVersions = "6.x (tested with 6.0.0; the package accepts [6.0.0, 7.0.0))";

    private static readonly Lazy<Members> s_members =
        new(() => Members.Resolve(typeof(ModelSaveContext).Assembly), LazyThreadSafetyMode.ExecutionAndPublication);

    private const BindingFlags Instance = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic;

    private static readonly Lazy<ConstructorInfo> s_schemaShapeColumnCtor = new(() =>
        typeof(SchemaShape.Column).GetConstructor(Instance, null,
            [typeof(string), typeof(SchemaShape.Column.VectorKind), typeof(DataViewType), typeof(bool), typeof(SchemaShape)], null)
        ?? throw Members.Missing(typeof(SchemaShape).Assembly, "constructor SchemaShape.Column(string, VectorKind, DataViewType, bool, SchemaShape)"),
        LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The resolved members (throws <see cref="NotSupportedException"/> if this ML.NET differs).</summary>
    internal static Members Current => s_members.Value;

    /// <summary><c>ModelSaveContext.CheckAtModel()</c>: asserts the writer is at the start of the model body.</summary>
    internal static void CheckAtModel(ModelSaveContext ctx) => Invoke(Current.SaveCheckAtModel, ctx);

    /// <summary><c>ModelSaveContext.SetVersionInfo(new VersionInfo(...))</c>.</summary>
    internal static void SetVersionInfo(ModelSaveContext ctx, PersistedModelInfo info, string loaderAssemblyName) =>
        Invoke(Current.SaveSetVersionInfo, ctx, NewVersionInfo(info, loaderAssemblyName));

    /// <summary><c>ModelSaveContext.Writer</c>: the main stream of the component's directory (<c>Model.key</c>).</summary>
    internal static BinaryWriter GetWriter(ModelSaveContext ctx) => (BinaryWriter)Current.SaveWriter.GetValue(ctx)!;

    /// <summary><c>ModelSaveContext.Directory</c>: the component's directory inside the zip (null = root).</summary>
    internal static string? GetDirectory(ModelSaveContext ctx) => (string?)Current.SaveDirectory.GetValue(ctx);

    /// <summary><c>ModelSaveContext.SaveBinaryStream(name, action)</c>: a new entry beside <c>Model.key</c>.</summary>
    internal static void SaveBinaryStream(ModelSaveContext ctx, string name, Action<BinaryWriter> write) =>
        Invoke(Current.SaveBinaryStream, ctx, name, write);

    /// <summary>True if <paramref name="ctx"/> is ML.NET's <c>ModelLoadContext</c>.</summary>
    internal static bool IsLoadContext(object? ctx) => ctx is not null && Current.LoadContextType.IsInstanceOfType(ctx);

    /// <summary><c>ModelLoadContext.CheckAtModel(VersionInfo)</c>: position and model signature/version checks.</summary>
    internal static void CheckAtModel(object loadCtx, PersistedModelInfo info, string loaderAssemblyName) =>
        Invoke(Current.LoadCheckAtModel, loadCtx, NewVersionInfo(info, loaderAssemblyName));

    /// <summary><c>ModelLoadContext.Reader</c>: the main stream of the component's directory.</summary>
    internal static BinaryReader GetReader(object loadCtx) => (BinaryReader)Current.LoadReader.GetValue(loadCtx)!;

    /// <summary><c>ModelLoadContext.Directory</c>: the component's directory inside the zip (null = root).</summary>
    internal static string? GetDirectory(object loadCtx) => (string?)Current.LoadDirectory.GetValue(loadCtx);

    /// <summary><c>ModelLoadContext.TryLoadBinaryStream(name, action)</c>: false if the entry does not exist.</summary>
    internal static bool TryLoadBinaryStream(object loadCtx, string name, Action<BinaryReader> read) =>
        (bool)Invoke(Current.LoadTryLoadBinaryStream, loadCtx, name, read)!;

    /// <summary>
    /// <c>new SchemaShape.Column(name, kind, itemType, isKey, annotations)</c>: estimators describe their output columns
    /// with it (ML.NET's own SchemaShape.Create is internal too). Not a persistence member, so resolved on its own.
    /// </summary>
    internal static SchemaShape.Column NewSchemaShapeColumn(string name, SchemaShape.Column.VectorKind kind, DataViewType itemType, bool isKey, SchemaShape? annotations) =>
        (SchemaShape.Column)s_schemaShapeColumnCtor.Value.Invoke(BindingFlags.DoNotWrapExceptions, null, [name, kind, itemType, isKey, annotations], null);

    /// <summary>
    /// <c>new LoadableClassAttribute(instType, loaderType, argType: null, typeof(SignatureLoadModel), userName, loaderSignature)</c>:
    /// tells a <c>ComponentCatalog</c> that <paramref name="loaderType"/>'s static <c>Create(IHostEnvironment, ModelLoadContext)</c>
    /// builds <paramref name="instanceType"/> for models whose header names <paramref name="loaderSignature"/>.
    /// </summary>
    internal static Attribute NewLoadableClassAttribute(Type instanceType, Type loaderType, string userName, string loaderSignature) =>
        (Attribute)Current.LoadableClassCtor.Invoke(BindingFlags.DoNotWrapExceptions, null,
            new object?[] { instanceType, loaderType, null, Current.SignatureLoadModel, userName, new[] { loaderSignature } }, null);

    private static object NewVersionInfo(PersistedModelInfo info, string loaderAssemblyName) =>
        Current.VersionInfoCtor.Invoke(BindingFlags.DoNotWrapExceptions, null, new object?[]
        {
            info.ModelSignature, info.VersionWritten, info.VersionReadable, info.VersionWeCanReadBack,
            loaderAssemblyName, info.LoaderSignature, null,
        }, null);

    private static object? Invoke(MethodInfo method, object target, params object?[] args) =>
        method.Invoke(target, BindingFlags.DoNotWrapExceptions, null, args, null);

    /// <summary>The reflected members of one Microsoft.ML.Core assembly.</summary>
    internal sealed class Members
    {
        internal required MethodInfo SaveCheckAtModel { get; init; }
        internal required MethodInfo SaveSetVersionInfo { get; init; }
        internal required FieldInfo SaveWriter { get; init; }
        internal required FieldInfo SaveDirectory { get; init; }
        internal required MethodInfo SaveBinaryStream { get; init; }
        internal required ConstructorInfo VersionInfoCtor { get; init; }
        internal required Type LoadContextType { get; init; }
        internal required MethodInfo LoadCheckAtModel { get; init; }
        internal required FieldInfo LoadReader { get; init; }
        internal required FieldInfo LoadDirectory { get; init; }
        internal required MethodInfo LoadTryLoadBinaryStream { get; init; }
        internal required ConstructorInfo LoadableClassCtor { get; init; }
        internal required Type SignatureLoadModel { get; init; }

        /// <summary>Finds every member in <paramref name="core"/> (Microsoft.ML.Core), or throws naming the first one missing.</summary>
        internal static Members Resolve(Assembly core)
        {
            Type saveCtx = TypeIn(core, "Microsoft.ML.ModelSaveContext");
            Type loadCtx = TypeIn(core, "Microsoft.ML.ModelLoadContext");
            Type versionInfo = TypeIn(core, "Microsoft.ML.VersionInfo");
            Type loadableClass = TypeIn(core, "Microsoft.ML.LoadableClassAttribute");
            Type signatureLoadModel = TypeIn(core, "Microsoft.ML.SignatureLoadModel");
            return new Members
            {
                SaveCheckAtModel = MethodOf(saveCtx, "CheckAtModel", typeof(void)),
                SaveSetVersionInfo = MethodOf(saveCtx, "SetVersionInfo", typeof(void), versionInfo),
                SaveWriter = FieldOf(saveCtx, "Writer", typeof(BinaryWriter)),
                SaveDirectory = FieldOf(saveCtx, "Directory", typeof(string)),
                SaveBinaryStream = MethodOf(saveCtx, "SaveBinaryStream", typeof(void), typeof(string), typeof(Action<BinaryWriter>)),
                VersionInfoCtor = CtorOf(versionInfo, typeof(string), typeof(uint), typeof(uint), typeof(uint), typeof(string), typeof(string), typeof(string)),
                LoadContextType = loadCtx,
                LoadCheckAtModel = MethodOf(loadCtx, "CheckAtModel", typeof(void), versionInfo),
                LoadReader = FieldOf(loadCtx, "Reader", typeof(BinaryReader)),
                LoadDirectory = FieldOf(loadCtx, "Directory", typeof(string)),
                LoadTryLoadBinaryStream = MethodOf(loadCtx, "TryLoadBinaryStream", typeof(bool), typeof(string), typeof(Action<BinaryReader>)),
                LoadableClassCtor = CtorOf(loadableClass, typeof(Type), typeof(Type), typeof(Type), typeof(Type), typeof(string), typeof(string[])),
                SignatureLoadModel = signatureLoadModel,
            };

            Type TypeIn(Assembly assembly, string name) => assembly.GetType(name) ?? throw Missing(core, $"type {name}");

            MethodInfo MethodOf(Type type, string name, Type returns, params Type[] parameters)
            {
                MethodInfo? method = type.GetMethod(name, Instance, null, parameters, null);
                return method is not null && method.ReturnType == returns
                    ? method
                    : throw Missing(core, $"{type.FullName}.{name}({string.Join(", ", parameters.Select(p => p.Name))})");
            }

            FieldInfo FieldOf(Type type, string name, Type fieldType)
            {
                FieldInfo? field = type.GetField(name, Instance);
                return field is not null && field.FieldType == fieldType
                    ? field
                    : throw Missing(core, $"field {type.FullName}.{name} of type {fieldType.Name}");
            }

            ConstructorInfo CtorOf(Type type, params Type[] parameters) =>
                type.GetConstructor(Instance, null, parameters, null)
                ?? throw Missing(core, $"constructor {type.FullName}({string.Join(", ", parameters.Select(p => p.Name))})");
        }

        internal static NotSupportedException Missing(Assembly core, string member)
        {
            string version = core.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
                ?? core.GetName().Version?.ToString() ?? "unknown";
            return new NotSupportedException(
                $"MLNet.Transfer supports Microsoft.ML {SupportedVersions}; this version's internals differ " +
                $"({core.GetName().Name} {version}): {member} not found. MLNet.Transfer's ML.NET components are unavailable with this version.");
        }
    }
}
