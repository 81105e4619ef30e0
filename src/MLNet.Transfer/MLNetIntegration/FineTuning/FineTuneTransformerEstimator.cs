using Microsoft.ML;
using MLNet.Transfer.Models.Heads;
using MLNet.Transfer.Training;
using MLNet.Transfer.Runtime;

namespace MLNet.Transfer.MLNetIntegration;

/// <summary>
/// Fine-tunes a pretrained encoder with one task head on a text column (ULMFiT / BERT recipe) and returns a
/// <see cref="FineTunedTextTransformer"/>. Reach it through <c>mlContext.BinaryClassification.Trainers.FineTuneTransformer</c>,
/// <c>mlContext.MulticlassClassification.Trainers.FineTuneTransformer</c>, <c>mlContext.Regression.Trainers.FineTuneTransformer</c>
/// or, for several independent binary labels per text, <c>mlContext.MulticlassClassification.Trainers.FineTuneMultiLabel</c>.
/// </summary>
public sealed class FineTuneTransformerEstimator : IEstimator<FineTunedTextTransformer>
{
    private readonly FineTuneTransformerOptions _options;
    private readonly TaskKind _kind;

    /// <summary>Creates the trainer for <paramref name="kind"/>.</summary>
    public FineTuneTransformerEstimator(FineTuneTransformerOptions options, TaskKind kind)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (kind == TaskKind.Tagging)
            throw new ArgumentException("Tagging tags words, not texts: use mlContext.MulticlassClassification.Trainers.FineTuneTokenClassifier, or a tagging task of mlContext.Transforms.Text.FineTuneMultiTask.", nameof(kind));
        if (!Enum.IsDefined(kind)) throw new ArgumentOutOfRangeException(nameof(kind), kind, $"Kind must be one of {string.Join(", ", Enum.GetNames<TaskKind>())}.");
        _options = options;
        _kind = kind;
    }

    /// <summary>Result of the last <see cref="Fit"/> (steps, best validation metrics, throughput), for inspection.</summary>
    public FineTuneResult? LastResult { get; private set; }

    /// <summary>The settings the last <see cref="Fit"/> chose from the data (and those the options fixed), with the reasons.</summary>
    public DataAwareDefaults? LastDefaults { get; private set; }

    /// <summary>Reads the labelled texts, fine-tunes, and returns the model.</summary>
    public FineTunedTextTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        LibTorchRequirement.Ensure("Fine-tuning (FineTuneTransformerEstimator.Fit)");
        var o = _options;
        o.CheckChoices();
        string[]?[] names = [LabeledTextReader.Names(input, o.LabelColumnName, _kind)];
        LabelSource[] labels = [new(0, o.LabelColumnName, _kind)];
        var train = LabeledTextReader.Read(input, o.TextColumnName, o.SecondTextColumnName, 1, labels, names, allowMissing: false, "training data");
        var valid = o.ValidationSet is null ? null : LabeledTextReader.Read(o.ValidationSet, o.TextColumnName, o.SecondTextColumnName, 1, labels, names, false, "validation data");
        var task = new TaskSpec("task", _kind, names[0]?.Length ?? 1);
        var columns = new TaskColumns(o.ScoreColumnName, o.ProbabilityColumnName, o.PredictedLabelColumnName, names[0]);
        var unlabelled = UnlabeledTexts.From(o, SemiSupervisedApplies, $"a binary or multiclass task; this trainer is {_kind}");
        var model = TextFineTuning.Fit(o, [task], [columns], [o.LabelColumnName], train, valid, out var result, out var defaults, unlabelled: unlabelled);
        LastResult = result;
        LastDefaults = defaults;
        return model;
    }

    private bool SemiSupervisedApplies => _kind is TaskKind.Binary or TaskKind.Multiclass;

    /// <summary>Adds the prediction columns after checking the text and label columns (and the unlabelled data's text column).</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        var o = _options;
        SchemaShapes.RequireText(inputSchema, o.TextColumnName, "Text");
        UnlabeledTexts.CheckSchema(o, SemiSupervisedApplies, $"a binary or multiclass task; this trainer is {_kind}");
        if (o.SecondTextColumnName is { } second) SchemaShapes.RequireText(inputSchema, second, "Second text");
        var label = SchemaShapes.Find(inputSchema, o.LabelColumnName, "Label");
        var columns = new TaskColumns(o.ScoreColumnName, o.ProbabilityColumnName, o.PredictedLabelColumnName, null);
        // The predicted key carries the label's key values (so MapKeyToValue works); the score slots are named after them.
        return SchemaShapes.With(inputSchema, columns.Shapes(_kind, label.Annotations));
    }
}
