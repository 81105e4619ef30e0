using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.Models.Tagging;
using MLNet.Transfer.Training;
using MLNet.Transfer.Training.SemiSupervised;
using MLNet.Transfer.Training.Tagging;
using MLNet.Transfer.Runtime;
using static TorchSharp.torch;

namespace MLNet.Transfer.MLNetIntegration;

/// <summary>
/// Trains a tagger (named entities, part-of-speech, ...) from a pretrained encoder: each word is labelled on its first
/// word piece, long sentences are read in windows, the head is linear softmax or a CRF, and validation entity F1 drives
/// early stopping; with <see cref="TokenClassifierOptions.UnlabeledData"/> it also learns from unlabelled sentences (self-training or
/// consistency training, <see cref="TokenClassifierOptions.SemiSupervised"/>). Returns
/// a <see cref="TokenClassificationTransformer"/>. Reach it through
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
        LibTorchRequirement.Ensure("Training a tagger (TokenClassifierEstimator.Fit)");
        var o = _options;
        var train = TagSequenceColumns.ReadSentences(input, o.TokensColumnName, o.LabelColumnName, "training data");
        var valid = o.ValidationSet is null ? null : TagSequenceColumns.ReadSentences(o.ValidationSet, o.TokensColumnName, o.LabelColumnName, "validation data");
        var semi = o.UnlabeledData is null ? null : TaggerSemiSupervisedTrainer.Checked(o.SemiSupervised);
        var unlabelled = o.UnlabeledData is null ? null : UnlabeledTextReader.ReadSentences(o.UnlabeledData, o.TokensColumnName);
        var tags = TagSequenceColumns.TagSet(input.Schema[o.LabelColumnName], train);
        if (tags.Length < 2) throw new InvalidDataException($"Tags column '{o.LabelColumnName}' has only one tag ('{tags[0]}') in the training data; a tagger needs at least two.");
        var encoder = o.Encoder?.Clone() ?? PretrainedEncoder.Load(o.Model, o.Device);
        try
        {
            var settings = o.ToSettings(encoder.MaxTokens);
            manual_seed(settings.Seed);
            var model = new TaggingModel(encoder.Model, new TaggerSpec(tags, o.HeadFor(tags), o.FreezeEncoder, o.FreezeEncoder ? o.BiLstmHiddenSize : 0, o.CasingFeatures), settings.HeadDropout);
            LastResult = unlabelled is null
                ? new TaggerTrainer(model, encoder.Tokenizer, settings, o.CrfLearningRate).Train(train, valid, o.Progress, o.CancellationToken)
                : new TaggerSemiSupervisedTrainer(model, encoder.Tokenizer, settings, semi!, o.CrfLearningRate)
                    .Train(train, valid, unlabelled, o.Progress, o.SemiSupervisedProgress, o.CancellationToken);
            var columns = new TokenClassificationTransformer.Columns(o.TokensColumnName, o.PredictedLabelColumnName, o.ScoreColumnName, settings.MaxTokens);
            return new TokenClassificationTransformer(encoder, model, columns, Math.Max(settings.BatchSize, 32), o.InferenceEngine);
        }
        catch
        {
            encoder.Dispose();
            throw;
        }
    }

    /// <summary>Adds PredictedLabel (vector of keys) and Score (vector of Single) after checking the words and tags columns.</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        var o = _options;
        TagSequenceColumns.CheckShapes(inputSchema, o.TokensColumnName, o.LabelColumnName);
        if (o.UnlabeledData is { } unlabelled && unlabelled.Schema.GetColumnOrNull(o.TokensColumnName)?.Type is not (TextDataViewType or VectorDataViewType { ItemType: TextDataViewType }))
            throw new ArgumentOutOfRangeException(nameof(inputSchema),
                $"Unlabelled words column '{o.TokensColumnName}' must be in the unlabelled data as a vector of text (or text); its columns are {string.Join(", ", unlabelled.Schema.Select(c => $"{c.Name} ({c.Type})"))}.");
        return SchemaShapes.With(inputSchema, TagSequenceColumns.OutputShapes(o.PredictedLabelColumnName, o.ScoreColumnName));
    }
}
