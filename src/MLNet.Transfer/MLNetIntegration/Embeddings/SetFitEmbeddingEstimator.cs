using Microsoft.ML;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.Training;

namespace MLNet.Transfer.MLNetIntegration;

/// <summary>
/// SetFit as an ML.NET estimator: <see cref="EncoderTuningEstimator.Fit"/> tunes a copy of the encoder contrastively on the labelled rows (same
/// class → similar, different class → dissimilar) and returns a <see cref="ContextualEmbeddingTransformer"/> with the tuned
/// encoder; append any ML.NET trainer (e.g. logistic regression) for SetFit's second stage. Saved and loaded like the
/// plain featurizer.
/// </summary>
public sealed class SetFitEmbeddingEstimator : EncoderTuningEstimator
{
    private readonly SetFitEmbeddingOptions _options;

    /// <summary>Creates the estimator; prefer <c>mlContext.Transforms.Text.ApplySetFitEmbeddings(options)</c>.</summary>
    public SetFitEmbeddingEstimator(SetFitEmbeddingOptions options) : base((options ?? throw new ArgumentNullException(nameof(options))).Embeddings) => _options = options;

    /// <inheritdoc/>
    protected override void Tune(PretrainedEncoder encoder, IDataView input)
    {
        var (texts, labels) = ReadLabelledTexts(input);
        var embeddings = Embeddings.ToSettings(encoder);
        int maxTokens = embeddings.EffectiveMaxTokens(encoder.Model);
        var tokens = texts.Select(t => encoder.Tokenizer.Encode(t, maxTokens, Embeddings.Truncation)).ToArray();
        ContrastiveTuner.Train(encoder.Model, tokens, labels, _options.ToSettings(encoder), encoder.Tokenizer.PadId, _options.Progress, _options.CancellationToken);
    }

    /// <summary>Adds the embedding column after checking the text and label columns.</summary>
    public override SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        SchemaShapes.Find(inputSchema, _options.LabelColumnName, "Label");
        return base.GetOutputSchema(inputSchema);
    }

    private (List<string> Texts, List<int> Labels) ReadLabelledTexts(IDataView input)
    {
        var label = input.Schema.GetColumnOrNull(_options.LabelColumnName)
            ?? throw new ArgumentOutOfRangeException(nameof(input), $"Label column '{_options.LabelColumnName}' was not found (columns: {string.Join(", ", input.Schema.Select(c => c.Name))}).");
        var text = input.Schema[Embeddings.InputColumnName];
        var texts = new List<string>();
        var labels = new List<int>();
        var classes = new Dictionary<string, int>();
        using var cursor = input.GetRowCursor([label, text]);
        var classOf = FewShotSampling.ClassOf(cursor, label);
        var textGetter = cursor.GetGetter<ReadOnlyMemory<char>>(text);
        ReadOnlyMemory<char> value = default;
        while (cursor.MoveNext())
        {
            if (classOf() is not { } name) continue;
            if (!classes.TryGetValue(name, out int id)) classes[name] = id = classes.Count;
            textGetter(ref value);
            texts.Add(value.ToString());
            labels.Add(id);
        }
        if (classes.Count < 2)
            throw new InvalidDataException($"Label column '{label.Name}' has {(classes.Count == 0 ? "no labelled rows" : $"only one class ('{classes.Keys.Single()}')")}; SetFit needs at least two classes.");
        return (texts, labels);
    }
}
