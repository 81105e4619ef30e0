using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.Transfer.MLNetIntegration;

/// <summary>
/// Estimator schema propagation: input-column checks with clear messages, and output columns for
/// <see cref="SchemaShape"/> (whose column constructor is internal to ML.NET: see <see cref="MlNetInternals.NewSchemaShapeColumn"/>).
/// </summary>
internal static class SchemaShapes
{
    /// <summary>A column description for <see cref="SchemaShape"/>.</summary>
    public static SchemaShape.Column Column(string name, SchemaShape.Column.VectorKind kind, DataViewType itemType, bool isKey, SchemaShape? annotations = null) =>
        MlNetInternals.NewSchemaShapeColumn(name, kind, itemType, isKey, annotations);

    /// <summary>The shape of a concrete schema (ML.NET's own SchemaShape.Create is internal).</summary>
    public static SchemaShape FromSchema(DataViewSchema schema) => new(schema.Select(c => c.Type switch
    {
        VectorDataViewType v => Column(c.Name, v.IsKnownSize ? SchemaShape.Column.VectorKind.Vector : SchemaShape.Column.VectorKind.VariableVector, v.ItemType, v.ItemType is KeyDataViewType),
        _ => Column(c.Name, SchemaShape.Column.VectorKind.Scalar, c.Type, c.Type is KeyDataViewType),
    }));

    /// <summary><paramref name="input"/> with <paramref name="added"/> columns added (replacing same-named ones).</summary>
    public static SchemaShape With(SchemaShape input, params SchemaShape.Column[] added)
    {
        var names = added.Select(a => a.Name).ToHashSet();
        return new SchemaShape(input.Where(c => !names.Contains(c.Name)).Concat(added));
    }

    /// <summary>The input column <paramref name="name"/>; throws naming it (and what was expected) when absent.</summary>
    public static SchemaShape.Column Find(SchemaShape schema, string name, string role)
    {
        foreach (var column in schema)
            if (column.Name == name) return column;
        throw new ArgumentOutOfRangeException(nameof(schema), $"{role} column '{name}' was not found in the input schema (columns: {string.Join(", ", schema.Select(c => c.Name))}).");
    }

    /// <summary>Requires <paramref name="name"/> to be a scalar text column.</summary>
    public static void RequireText(SchemaShape schema, string name, string role)
    {
        var column = Find(schema, name, role);
        if (column.Kind != SchemaShape.Column.VectorKind.Scalar || column.ItemType is not TextDataViewType)
            throw new ArgumentOutOfRangeException(nameof(schema), $"{role} column '{name}' must be text (String), but it is {Describe(column)}.");
    }

    /// <summary>Requires a text column in a concrete schema.</summary>
    public static void RequireText(DataViewSchema schema, string name, string role)
    {
        var column = schema.GetColumnOrNull(name)
            ?? throw new ArgumentOutOfRangeException(nameof(schema), $"{role} column '{name}' was not found in the input schema (columns: {string.Join(", ", schema.Select(c => c.Name))}).");
        if (column.Type is not TextDataViewType)
            throw new ArgumentOutOfRangeException(nameof(schema), $"{role} column '{name}' must be text (String), but it is {column.Type}.");
    }

    private static string Describe(SchemaShape.Column column) =>
        column.Kind == SchemaShape.Column.VectorKind.Scalar ? $"{column.ItemType}" : $"a vector of {column.ItemType}";
}
