using Microsoft.ML;

namespace MLNet.Transfer.MLNetIntegration;

/// <summary>
/// A component (usually an <see cref="ITransformer"/>) that saves into and loads from a standard ML.NET model zip
/// through <c>mlContext.Model.Save</c> / <c>mlContext.Model.Load</c>, alone or inside a <c>TransformerChain</c>.
/// </summary>
/// <typeparam name="TSelf">The implementing type itself.</typeparam>
/// <remarks>
/// <para>Implementing this interface is the whole declaration: <see cref="TransferComponents.Register(MLContext)"/>
/// finds every implementing type of MLNet.Transfer (and <see cref="TransferComponents.Register(MLContext, System.Reflection.Assembly)"/>
/// those of another assembly) and registers its loader in the <see cref="MLContext"/>'s component catalog.</para>
/// <para>Save with <see cref="ModelPersistence.Save{T}"/> from <see cref="ICanSaveModel.Save"/>:</para>
/// <code>
/// void ICanSaveModel.Save(ModelSaveContext ctx) => ModelPersistence.Save&lt;MyTransformer&gt;(ctx, model =>
/// {
///     model.Writer.Write(_columnName);
///     model.WriteStream("Weights.bin", stream => _weights.CopyTo(stream));
/// });
///
/// public static PersistedModelInfo ModelInfo { get; } = new("MLNTMINE", "MLNetTransferMine", 1);
///
/// public static MyTransformer Load(PersistedModelReader model)
/// {
///     string column = model.Reader.ReadString();
///     byte[] weights = model.ReadStream("Weights.bin", stream => { var ms = new MemoryStream(); stream.CopyTo(ms); return ms.ToArray(); });
///     return new MyTransformer(column, weights);
/// }
/// </code>
/// </remarks>
public interface IPersistableModel<TSelf> : ICanSaveModel
    where TSelf : class, IPersistableModel<TSelf>
{
    /// <summary>The signature, loader name and versions of <typeparamref name="TSelf"/>'s persisted format.</summary>
    static abstract PersistedModelInfo ModelInfo { get; }

    /// <summary>
    /// Rebuilds an instance from what <see cref="ModelPersistence.Save{T}"/> wrote: read the main stream through
    /// <see cref="PersistedModelReader.Reader"/> in the order it was written, and the named streams through
    /// <see cref="PersistedModelReader.ReadStream{TResult}"/>. Everything must be read before returning
    /// (the extracted entries are deleted when ML.NET's load ends).
    /// </summary>
    static abstract TSelf Load(PersistedModelReader model);
}
