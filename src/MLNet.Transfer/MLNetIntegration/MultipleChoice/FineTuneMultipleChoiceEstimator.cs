using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.Models.Heads;
using MLNet.Transfer.Pretraining;
using MLNet.Transfer.Text;
using MLNet.Transfer.Training;
using MLNet.Transfer.Runtime;

namespace MLNet.Transfer.MLNetIntegration;

/// <summary>
/// Fine-tunes a pretrained encoder for multiple choice, the OpenAI transformer's (GPT-1) transformation: each candidate is
/// joined to its context, scored by one head, and the scores of a row's candidates are trained with a softmax
/// cross-entropy across them (<see cref="MultipleChoiceTuner"/>). Returns a <see cref="MultipleChoiceTransformer"/>. Reach
/// it through <c>mlContext.MulticlassClassification.Trainers.FineTuneMultipleChoice</c>.
/// </summary>
public sealed class FineTuneMultipleChoiceEstimator : IEstimator<MultipleChoiceTransformer>
{
    private readonly FineTuneMultipleChoiceOptions _options;

    /// <summary>Creates the trainer.</summary>
    public FineTuneMultipleChoiceEstimator(FineTuneMultipleChoiceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
    }

    /// <summary>Result of the last <see cref="Fit"/> (steps, best validation accuracy, throughput), for inspection.</summary>
    public FineTuneResult? LastResult { get; private set; }

    /// <summary>The settings the last <see cref="Fit"/> chose from the data (and those the options fixed), with the reasons.</summary>
    public DataAwareDefaults? LastDefaults { get; private set; }

    /// <summary>Reads the questions, fine-tunes, and returns the model.</summary>
    public MultipleChoiceTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        LibTorchRequirement.Ensure("Fine-tuning a multiple-choice model (FineTuneMultipleChoiceEstimator.Fit)");
        var o = _options;
        o.CheckMultipleChoice();
        int candidates = MultipleChoiceReader.CandidateCount(input.Schema, o);
        var train = MultipleChoiceReader.Read(input, o, candidates, "training data");
        var valid = o.ValidationSet is null ? null : MultipleChoiceReader.Read(o.ValidationSet, o, candidates, "validation data");
        var encoder = o.Encoder?.Clone() ?? PretrainedEncoder.Load(o.Model, o.Device);
        try
        {
            var tokenizer = encoder.Tokenizer;
            var lengths = train.Contexts.SelectMany((c, q) => train.Candidates[q].Select(a => tokenizer.EncodeWordPieces(c).Length + tokenizer.EncodeWordPieces(a).Length + 3)).ToArray();
            // Lengths are those of the (context, candidate) sequences; an example (a step's unit) is a question.
            var profile = DataProfile.From(lengths) with { Examples = train.Contexts.Count };
            var tasks = new[] { new TaskSpec("choice", TaskKind.Binary, 1) };
            // Pairs are truncated longest-first and read whole (no windows); there is no decision threshold.
            var request = o.Request() with { Truncation = TruncationStrategy.Head, PredictionWindowStride = 0, TuneThreshold = false };
            var settings = TextFineTuning.Settings(o, encoder, profile, tasks, valid?.Contexts.Count, out var defaults, request);
            var model = MultipleChoiceTransformer.Scorer(encoder.Model, settings.Pooling, settings.HeadDropout);
            using var languageModel = settings.AuxiliaryLanguageModelWeight > 0 && NextTokenLoss.AppliesTo(encoder.Model)
                ? TransformerLanguageModel.ForAuxiliaryObjective(encoder, settings.Seed) : null;
            LastResult = new MultipleChoiceTuner(model, settings, tokenizer.PadId) { LanguageModelHead = languageModel?.Module.Head }
                .Train(Examples(tokenizer, train, settings.MaxTokens), valid is null ? null : Examples(tokenizer, valid, settings.MaxTokens), o.Progress, o.CancellationToken);
            LastDefaults = defaults;
            model.eval();
            var columns = new MultipleChoiceTransformer.Columns(o.TextColumnName, o.CandidatesColumnName, candidates, o.ScoreColumnName, o.PredictedLabelColumnName, settings.MaxTokens);
            return new MultipleChoiceTransformer(encoder, model, columns, Math.Max(settings.BatchSize, 8), o.InferenceEngine);
        }
        catch
        {
            encoder.Dispose();
            throw;
        }
    }

    private static List<ChoiceExample> Examples(BertWordPieceTokenizer tokenizer, ChoiceQuestions questions, int maxTokens) =>
        [.. questions.Contexts.Select((c, q) => new ChoiceExample([.. questions.Candidates[q].Select(a => tokenizer.EncodePair(c, a, maxTokens))], questions.Answers[q]))];

    /// <summary>Adds Score (vector, one probability per candidate) and PredictedLabel (key) after checking the context, candidates and label columns.</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        var o = _options;
        o.CheckMultipleChoice();
        MultipleChoiceReader.CheckInputs(inputSchema, o);
        MultipleChoiceReader.CheckLabel(inputSchema, o.LabelColumnName, -1);
        return SchemaShapes.With(inputSchema,
            SchemaShapes.Column(o.ScoreColumnName, SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, false),
            SchemaShapes.Column(o.PredictedLabelColumnName, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.UInt32, true));
    }
}
