using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.Models.Heads;
using MLNet.Transfer.Text;
using MLNet.Transfer.Training;
using static TorchSharp.torch;

namespace MLNet.Transfer.MLNetIntegration;

/// <summary>
/// Fine-tunes a pretrained encoder with a task head on a text column (ULMFiT / BERT recipe) and returns a
/// <see cref="FineTunedTextTransformer"/>. Reach it through <c>mlContext.BinaryClassification.Trainers.FineTuneTransformer</c>,
/// <c>mlContext.MulticlassClassification.Trainers.FineTuneTransformer</c> or <c>mlContext.Regression.Trainers.FineTuneTransformer</c>.
/// </summary>
public sealed class FineTuneTransformerEstimator : IEstimator<FineTunedTextTransformer>
{
    private readonly FineTuneTransformerOptions _options;
    private readonly TaskKind _kind;

    /// <summary>Creates the trainer for <paramref name="kind"/> (binary, multiclass or regression).</summary>
    public FineTuneTransformerEstimator(FineTuneTransformerOptions options, TaskKind kind)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (kind is TaskKind.MultiLabel) throw new NotSupportedException("Multi-label fine-tuning is available through the Training API (TransferModel with a MultiLabel task), not yet as an ML.NET trainer.");
        _options = options;
        _kind = kind;
    }

    /// <summary>Result of the last <see cref="Fit"/> (steps, best validation metrics, throughput), for inspection.</summary>
    public FineTuneResult? LastResult { get; private set; }

    /// <summary>Reads the labelled texts, fine-tunes, and returns the model.</summary>
    public FineTunedTextTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!Enum.IsDefined(_options.Truncation))
            throw new ArgumentOutOfRangeException(nameof(_options.Truncation), _options.Truncation,
                $"Truncation must be one of {string.Join(", ", Enum.GetNames<TruncationStrategy>())}; got {_options.Truncation}.");
        var train = LabeledTextReader.Read(input, _options, _kind, "training");
        var valid = _options.ValidationSet is null ? null : LabeledTextReader.Read(_options.ValidationSet, _options, _kind, "validation", train.ClassNames);
        CheckClasses(train);

        var encoder = _options.Encoder?.Clone() ?? PretrainedEncoder.Load(_options.Model, _options.Device);
        try
        {
            var settings = _options.ToSettings().Validate(encoder.Config.MaxPositionEmbeddings);
            int outputs = _kind == TaskKind.Multiclass ? train.ClassNames!.Length : 1;
            var task = new TaskSpec("task", _kind, outputs);
            if (_kind == TaskKind.Regression)
            {
                double mean = train.Targets.Average();
                double std = Math.Sqrt(train.Targets.Average(t => (t - mean) * (t - mean)));
                task = task with { TargetMean = mean, TargetStd = std > 1e-12 ? std : 1 };
            }
            manual_seed(settings.Seed);
            var model = new TransferModel(encoder.Model, [task], settings.Pooling, settings.HeadDropout);
            LastResult = new FineTuner(model, settings, encoder.Tokenizer.PadId)
                .Train(Examples(encoder.Tokenizer, train), valid is null ? null : Examples(encoder.Tokenizer, valid), _options.Progress, _options.CancellationToken);
            var columns = new FineTunedTextTransformer.ColumnNames(_options.TextColumnName, _options.SecondTextColumnName, _options.ScoreColumnName,
                _options.ProbabilityColumnName, _options.PredictedLabelColumnName, settings.MaxTokens, _options.Truncation, train.ClassNames);
            return new FineTunedTextTransformer(encoder, model, columns, Math.Max(settings.BatchSize, 32));
        }
        catch
        {
            encoder.Dispose();
            throw;
        }
    }

    /// <summary>Adds the prediction columns after checking the text and label columns.</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        SchemaShapes.RequireText(inputSchema, _options.TextColumnName, "Text");
        if (_options.SecondTextColumnName is { } second) SchemaShapes.RequireText(inputSchema, second, "Second text");
        var label = SchemaShapes.Find(inputSchema, _options.LabelColumnName, "Label");
        var scalar = SchemaShape.Column.VectorKind.Scalar;
        return _kind switch
        {
            TaskKind.Binary => SchemaShapes.With(inputSchema,
                SchemaShapes.Column(_options.ScoreColumnName, scalar, NumberDataViewType.Single, false),
                SchemaShapes.Column(_options.ProbabilityColumnName, scalar, NumberDataViewType.Single, false),
                SchemaShapes.Column(_options.PredictedLabelColumnName, scalar, BooleanDataViewType.Instance, false)),
            // The predicted key carries the label's key values (so MapKeyToValue works); the score slots are named after them.
            TaskKind.Multiclass => SchemaShapes.With(inputSchema,
                SchemaShapes.Column(_options.ScoreColumnName, SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, false,
                    new SchemaShape([SchemaShapes.Column("SlotNames", SchemaShape.Column.VectorKind.Vector, TextDataViewType.Instance, false)])),
                SchemaShapes.Column(_options.PredictedLabelColumnName, scalar, NumberDataViewType.UInt32, true, label.Annotations)),
            _ => SchemaShapes.With(inputSchema, SchemaShapes.Column(_options.ScoreColumnName, scalar, NumberDataViewType.Single, false)),
        };
    }

    private void CheckClasses(LabeledTexts train)
    {
        if (_kind == TaskKind.Regression) return;
        var seen = train.Targets.Distinct().Count();
        if (seen < 2)
            throw new InvalidDataException($"Label column '{_options.LabelColumnName}' has only one class in the training data ({train.Targets.Count} rows, all '{(_kind == TaskKind.Multiclass ? train.ClassNames![(int)train.Targets[0]] : train.Targets[0] == 1 ? "true" : "false")}'); a classifier needs at least two.");
    }

    private List<TrainingExample> Examples(BertWordPieceTokenizer tokenizer, LabeledTexts data)
    {
        var examples = new List<TrainingExample>(data.Texts.Count);
        for (int i = 0; i < data.Texts.Count; i++)
        {
            var tokens = data.Pairs is null
                ? tokenizer.Encode(data.Texts[i], _options.MaxTokens, _options.Truncation)
                : tokenizer.EncodePair(data.Texts[i], data.Pairs[i], _options.MaxTokens);
            examples.Add(new TrainingExample(tokens, [[data.Targets[i]]]));
        }
        return examples;
    }
}
