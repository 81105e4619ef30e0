using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.Models.Tagging;
using MLNet.Transfer.Training;
using MLNet.Transfer.Training.Tagging;
using static TorchSharp.torch;

namespace MLNet.Transfer.MLNetIntegration;

/// <summary>
/// Trains a tagger (named entities, part-of-speech, ...) from a pretrained encoder: each word is labelled on its first
/// word piece, long sentences are read in windows, the head is linear softmax or a CRF, and validation entity F1 drives
/// early stopping. Returns a <see cref="TokenClassificationTransformer"/>. Reach it through
/// <c>mlContext.MulticlassClassification.Trainers.FineTuneTokenClassifier</c> (tagging is multiclass classification per word).
/// </summary>
public sealed class TokenClassifierEstimator : IEstimator<TokenClassificationTransformer>
{
    private readonly TokenClassifierOptions _options;

    /// <summary>Creates the trainer.</summary>
    public TokenClassifierEstimator(TokenClassifierOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
    }

    /// <summary>Result of the last <see cref="Fit"/> (steps, best validation metrics, throughput), for inspection.</summary>
    public FineTuneResult? LastResult { get; private set; }

    /// <summary>Reads the tagged sentences, trains, and returns the tagger.</summary>
    public TokenClassificationTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var o = _options;
        var train = TagSequenceColumns.ReadSentences(input, o.TokensColumnName, o.LabelColumnName, "training data");
        var valid = o.ValidationSet is null ? null : TagSequenceColumns.ReadSentences(o.ValidationSet, o.TokensColumnName, o.LabelColumnName, "validation data");
        var tags = TagSet(input.Schema[o.LabelColumnName], train);
        if (tags.Length < 2) throw new InvalidDataException($"Tags column '{o.LabelColumnName}' has only one tag ('{tags[0]}') in the training data; a tagger needs at least two.");
        var encoder = o.Encoder?.Clone() ?? PretrainedEncoder.Load(o.Model, o.Device);
        try
        {
            var settings = o.ToSettings(encoder.MaxTokens);
            manual_seed(settings.Seed);
            var model = new TaggingModel(encoder.Model, new TaggerSpec(tags, o.HeadFor(tags), o.FreezeEncoder, o.FreezeEncoder ? o.BiLstmHiddenSize : 0, o.CasingFeatures), settings.HeadDropout);
            LastResult = new TaggerTrainer(model, encoder.Tokenizer, settings, o.CrfLearningRate).Train(train, valid, o.Progress, o.CancellationToken);
            var columns = new TokenClassificationTransformer.Columns(o.TokensColumnName, o.PredictedLabelColumnName, o.ScoreColumnName, settings.MaxTokens);
            return new TokenClassificationTransformer(encoder, model, columns, Math.Max(settings.BatchSize, 32));
        }
        catch
        {
            encoder.Dispose();
            throw;
        }
    }

    /// <summary>The tag set: a key column's KeyValues in key order, else "O" (when present) then the tags in ordinal order.</summary>
    private static string[] TagSet(DataViewSchema.Column column, IReadOnlyList<Text.Tagging.TaggedSentence> train)
    {
        if (((VectorDataViewType)column.Type).ItemType is KeyDataViewType) return TagSequenceColumns.KeyNames(column, "Tags");
        var distinct = train.SelectMany(s => s.Tags).Distinct(StringComparer.Ordinal).ToList();
        return distinct.Where(t => t == "O").Concat(distinct.Where(t => t != "O").OrderBy(t => t, StringComparer.Ordinal)).ToArray();
    }

    /// <summary>Adds PredictedLabel (vector of keys) and Score (vector of Single) after checking the words and tags columns.</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        var o = _options;
        var tokens = SchemaShapes.Find(inputSchema, o.TokensColumnName, "Tokens");
        if (tokens.Kind == SchemaShape.Column.VectorKind.Scalar || tokens.ItemType is not TextDataViewType)
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Tokens column '{o.TokensColumnName}' must be a vector of text (one word per slot), but it is {tokens.ItemType}{(tokens.Kind == SchemaShape.Column.VectorKind.Scalar ? "" : " vector")}.");
        var tags = SchemaShapes.Find(inputSchema, o.LabelColumnName, "Tags");
        if (tags.Kind == SchemaShape.Column.VectorKind.Scalar || tags.ItemType is not (TextDataViewType or KeyDataViewType))
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Tags column '{o.LabelColumnName}' must be a vector of text or keys (one tag per word), but it is {tags.ItemType}{(tags.Kind == SchemaShape.Column.VectorKind.Scalar ? "" : " vector")}.");
        var keyValues = new SchemaShape([SchemaShapes.Column("KeyValues", SchemaShape.Column.VectorKind.Vector, TextDataViewType.Instance, false)]);
        return SchemaShapes.With(inputSchema,
            SchemaShapes.Column(o.PredictedLabelColumnName, SchemaShape.Column.VectorKind.VariableVector, NumberDataViewType.UInt32, true, keyValues),
            SchemaShapes.Column(o.ScoreColumnName, SchemaShape.Column.VectorKind.VariableVector, NumberDataViewType.Single, false));
    }
}
