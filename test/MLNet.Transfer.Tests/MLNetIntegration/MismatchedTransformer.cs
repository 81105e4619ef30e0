using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transfer.MLNetIntegration;

namespace MLNet.Transfer.Tests.MLNetIntegration;

/// <summary>Test-only component with a bug: Save writes two ints, Load reads one (must be reported, not ignored).</summary>
public sealed class MismatchedTransformer : BatchedTransformerBase, IPersistableModel<MismatchedTransformer>
{
    public MismatchedTransformer()
        : base(new[] { new BatchInputColumn("X", NumberDataViewType.Single) }, new[] { new BatchOutputColumn("Copy", NumberDataViewType.Single) }, 1)
    {
    }

    public static PersistedModelInfo ModelInfo { get; } = new("MLNTMISM", "MLNetTestMismatch", 1);

    public static MismatchedTransformer Load(PersistedModelReader model)
    {
        model.Reader.ReadInt32();
        return new MismatchedTransformer();
    }

    protected override void SaveModel(ModelSaveContext ctx) => ModelPersistence.Save<MismatchedTransformer>(ctx, model =>
    {
        model.Writer.Write(1);
        model.Writer.Write(2);
    });

    protected internal override void ComputeBatch(ColumnBatch batch) => batch.Input<float>(0).CopyTo(batch.Output<float>(0));
}
