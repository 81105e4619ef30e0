using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.Transfer.MLNetIntegration;

/// <summary>An input column a <see cref="BatchedTransformerBase"/> computes from.</summary>
public sealed class BatchInputColumn
{
    /// <summary>Creates the description of an input column.</summary>
    /// <param name="name">Column name in the input schema.</param>
    /// <param name="type">Expected type. A <see cref="VectorDataViewType"/> of size 0 accepts vectors of any size with the same item type.</param>
    public BatchInputColumn(string name, DataViewType type)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(type);
        Name = name;
        Type = type;
    }

    /// <summary>Column name in the input schema.</summary>
    public string Name { get; }

    /// <summary>Expected column type; values arrive in <see cref="ColumnBatch.Input{T}"/> as <see cref="DataViewType.RawType"/>.</summary>
    public DataViewType Type { get; }

    internal bool Accepts(DataViewType actual) =>
        actual.Equals(Type)
        || (Type is VectorDataViewType { Size: 0 } expected && actual is VectorDataViewType vector && vector.ItemType.Equals(expected.ItemType));
}

/// <summary>A column a <see cref="BatchedTransformerBase"/> adds to its input.</summary>
public sealed class BatchOutputColumn
{
    /// <summary>Creates the description of an output column.</summary>
    /// <param name="name">Column name (hides an input column of the same name).</param>
    /// <param name="type">Column type, e.g. <c>new VectorDataViewType(NumberDataViewType.Single, 384)</c>.</param>
    /// <param name="annotations">Optional annotations (e.g. slot names, score column kind for evaluators).</param>
    public BatchOutputColumn(string name, DataViewType type, DataViewSchema.Annotations? annotations = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(type);
        Name = name;
        Type = type;
        Annotations = annotations;
    }

    /// <summary>Column name.</summary>
    public string Name { get; }

    /// <summary>Column type; <see cref="ColumnBatch.Output{T}"/> holds values of its <see cref="DataViewType.RawType"/>.</summary>
    public DataViewType Type { get; }

    /// <summary>Annotations attached to the column, or null.</summary>
    public DataViewSchema.Annotations? Annotations { get; }

    /// <summary>
    /// Indices of the input columns this column is computed from (null = all of them). An input data view that lacks one
    /// of them gets the transform without this column (the other columns still come); one that lacks the inputs of every
    /// column is refused.
    /// </summary>
    internal IReadOnlyList<int>? Inputs { get; init; }
}
