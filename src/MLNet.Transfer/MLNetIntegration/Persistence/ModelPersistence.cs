using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace MLNet.Transfer.MLNetIntegration;

/// <summary>
/// Saves and loads <see cref="IPersistableModel{TSelf}"/> components inside standard ML.NET model zips.
/// </summary>
/// <remarks>
/// Layout of a component's directory in the zip (e.g. <c>TransformerChain/Transform_0/</c>):
/// <c>Model.key</c> holds ML.NET's header (model signature, versions, loader signature) followed by our main
/// stream: format version (int32, <see cref="FormatVersion"/>), the component's <see cref="PersistedModelInfo.VersionWritten"/>
/// (uint32), the length of the component's own data (int64), that data, then a table of the named streams
/// (name, length, SHA-256). Each named stream is its own zip entry in the same directory, holding exactly the bytes
/// the component wrote.
/// <para>Errors: ML.NET calls loaders by reflection and wraps what they throw in a
/// <see cref="System.Reflection.TargetInvocationException"/> (inside a chain, twice, or in an
/// <see cref="InvalidOperationException"/> "Error during class instantiation"); the innermost exception carries the
/// message, e.g. a <see cref="FormatException"/> naming the corrupt zip entry.</para>
/// </remarks>
public static class ModelPersistence
{
    /// <summary>Version of the framing this class writes around a component's data (not the component's own version).</summary>
    public const int FormatVersion = 1;

    /// <summary>
    /// Saves component <typeparamref name="T"/>: call from its <see cref="ICanSaveModel.Save"/>. Writes ML.NET's header
    /// with <typeparamref name="T"/>'s <see cref="IPersistableModel{TSelf}.ModelInfo"/>, then lets <paramref name="write"/>
    /// write the main stream and any named streams.
    /// </summary>
    /// <typeparam name="T">The component type being saved.</typeparam>
    /// <param name="ctx">The context ML.NET passed to <see cref="ICanSaveModel.Save"/>.</param>
    /// <param name="write">Writes the component's data.</param>
    /// <exception cref="NotSupportedException">This Microsoft.ML version's internals differ from those MLNet.Transfer supports.</exception>
    public static void Save<T>(ModelSaveContext ctx, Action<PersistedModelWriter> write)
        where T : class, IPersistableModel<T>
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(write);
        PersistedModelInfo info = T.ModelInfo;

        MlNetInternals.CheckAtModel(ctx);
        MlNetInternals.SetVersionInfo(ctx, info, LoaderAssemblyName(typeof(T)));
        BinaryWriter writer = MlNetInternals.GetWriter(ctx);
        writer.Write(FormatVersion);
        writer.Write(info.VersionWritten);
        writer.Flush();
        long lengthPosition = writer.BaseStream.Position;
        writer.Write(0L);
        writer.Flush();
        long bodyStart = writer.BaseStream.Position;

        var model = new PersistedModelWriter(ctx, writer, MlNetInternals.GetDirectory(ctx), info);
        write(model);
        model.Complete();

        writer.Flush();
        long bodyEnd = writer.BaseStream.Position;
        writer.BaseStream.Position = lengthPosition;
        writer.Write(bodyEnd - bodyStart);
        writer.Flush();
        writer.BaseStream.Position = bodyEnd;
        model.Streams.WriteTo(writer);
    }

    /// <summary>Loads component <typeparamref name="T"/> from ML.NET's load context (called by <see cref="PersistedLoader{T}"/>).</summary>
    internal static T Load<T>(IHostEnvironment env, object ctx)
        where T : class, IPersistableModel<T>
    {
        ArgumentNullException.ThrowIfNull(env);
        if (!MlNetInternals.IsLoadContext(ctx))
            throw new ArgumentException($"Expected ML.NET's ModelLoadContext, got {ctx?.GetType().FullName ?? "null"}.", nameof(ctx));
        PersistedModelInfo info = T.ModelInfo;
        string? directory = MlNetInternals.GetDirectory(ctx);
        string mainEntry = EntryPath(directory, "Model.key");

        MlNetInternals.CheckAtModel(ctx, info, LoaderAssemblyName(typeof(T)));
        BinaryReader reader = MlNetInternals.GetReader(ctx);
        try
        {
            int format = reader.ReadInt32();
            if (format < 1 || format > FormatVersion)
                throw new ModelFormatException(
                    $"Model entry '{mainEntry}' ({info.LoaderSignature}) uses MLNet.Transfer persistence format {format}; " +
                    $"this version reads formats 1–{FormatVersion}. Use a newer MLNet.Transfer.");
            uint versionWritten = reader.ReadUInt32();
            long bodyLength = reader.ReadInt64();
            long bodyStart = reader.BaseStream.Position;
            if (bodyLength < 0 || bodyStart + bodyLength > reader.BaseStream.Length)
                throw new ModelFormatException($"Model entry '{mainEntry}' ({info.LoaderSignature}) is corrupt: data length {bodyLength} is out of range.");

            reader.BaseStream.Position = bodyStart + bodyLength;
            StreamTable streams = StreamTable.ReadFrom(reader);
            long end = reader.BaseStream.Position;
            reader.BaseStream.Position = bodyStart;

            var model = new PersistedModelReader(env, ctx, reader, directory, info, versionWritten, streams);
            T result = T.Load(model) ?? throw new InvalidOperationException($"{typeof(T).Name}.Load returned null.");

            long read = reader.BaseStream.Position - bodyStart;
            if (read > bodyLength || (read < bodyLength && versionWritten <= info.VersionWritten))
                throw new ModelFormatException(
                    $"{typeof(T).Name}.Load read {read} bytes of the {bodyLength} its Save wrote to '{mainEntry}': Save and Load disagree.");
            reader.BaseStream.Position = end;
            return result;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or FormatException && e is not ModelFormatException)
        {
            throw new ModelFormatException($"Model entry '{mainEntry}' ({info.LoaderSignature}) is corrupt: {e.Message}", e);
        }
    }

    /// <summary>The simple name of the assembly declaring <paramref name="componentType"/>, recorded as ML.NET's loader assembly.</summary>
    /// <remarks>ML.NET calls <c>Assembly.Load</c> on it before looking the loader up, so the simple name (no version) keeps
    /// models loadable by other versions of the assembly.</remarks>
    internal static string LoaderAssemblyName(Type componentType) => componentType.Assembly.GetName().Name!;

    internal static string EntryPath(string? directory, string name) =>
        string.IsNullOrEmpty(directory) ? name : $"{directory.Replace('\\', '/')}/{name}";
}
