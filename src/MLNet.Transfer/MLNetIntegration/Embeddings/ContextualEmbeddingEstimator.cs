using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transfer.Encoders;

namespace MLNet.Transfer.MLNetIntegration;

/// <summary>
/// Estimator for <see cref="ContextualEmbeddingTransformer"/>: text → sentence vector from a pretrained encoder.
/// Nothing is trained; <see cref="Fit"/> loads the encoder (once) and validates the options and the input schema.
/// </summary>
public sealed class ContextualEmbeddingEstimator : IEstimator<ContextualEmbeddingTransformer>
{
    private readonly ContextualEmbeddingOptions _options;
    private PretrainedEncoder? _encoder;

    /// <summary>Creates the estimator; prefer <c>mlContext.Transforms.Text.ApplyContextualEmbeddings(...)</c>.</summary>
    public ContextualEmbeddingEstimator(ContextualEmbeddingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.OutputColumnName, nameof(options.OutputColumnName));
        ArgumentException.ThrowIfNullOrWhiteSpace(options.InputColumnName, nameof(options.InputColumnName));
        _options = options;
    }

    /// <summary>Loads (or reuses) the encoder and returns the transformer.</summary>
    public ContextualEmbeddingTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        SchemaShapes.RequireText(input.Schema, _options.InputColumnName, "Input");
        if (_options.SecondInputColumnName is { } second) SchemaShapes.RequireText(input.Schema, second, "Second input");
        return new ContextualEmbeddingTransformer(Encoder(), _options);
    }

    /// <summary>Adds the output column (a known-size vector of Single; token-level: variable-size vectors of Single and text) after checking the text column(s).</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        SchemaShapes.RequireText(inputSchema, _options.InputColumnName, "Input");
        if (_options.SecondInputColumnName is { } second) SchemaShapes.RequireText(inputSchema, second, "Second input");
        if (!_options.TokenLevel)
            return SchemaShapes.With(inputSchema, SchemaShapes.Column(_options.OutputColumnName, SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, false));
        var variable = SchemaShape.Column.VectorKind.VariableVector;
        return SchemaShapes.With(inputSchema, SchemaShapes.Column(_options.OutputColumnName, variable, NumberDataViewType.Single, false),
                                 SchemaShapes.Column(_options.EffectiveTokensColumnName, variable, TextDataViewType.Instance, false));
    }

    private PretrainedEncoder Encoder()
    {
        if (_options.Encoder is not null) return _options.Encoder;
        return _encoder ??= PretrainedEncoder.Load(_options.Model, _options.Device);
    }
}
