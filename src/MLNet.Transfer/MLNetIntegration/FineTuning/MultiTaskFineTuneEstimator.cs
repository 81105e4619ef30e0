using Microsoft.ML;
using MLNet.Transfer.Models.Heads;
using MLNet.Transfer.Training;

namespace MLNet.Transfer.MLNetIntegration;

/// <summary>
/// Fine-tunes one shared encoder with a head per task (multi-task learning, e.g. sentiment + sarcasm) and returns one
/// <see cref="FineTunedTextTransformer"/> that adds each task's standard prediction columns named by the task
/// ("sentiment.Score", "sentiment.Probability", "sentiment.PredictedLabel", ...), so each task is evaluated with the usual
/// ML.NET evaluator by passing those column names. Labels come from the data passed to <see cref="Fit"/> (several label
/// columns; a missing value means "not labelled for this task") and/or from each task's own
/// <see cref="TextTaskOptions.TrainingData"/>. Reach it through <c>mlContext.Transforms.Text.FineTuneMultiTask</c>.
/// </summary>
public sealed class MultiTaskFineTuneEstimator : IEstimator<FineTunedTextTransformer>
{
    private readonly MultiTaskFineTuneOptions _options;

    /// <summary>Creates the estimator; the tasks are checked here.</summary>
    public MultiTaskFineTuneEstimator(MultiTaskFineTuneOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Tasks is not { Count: > 0 }) throw new ArgumentException("Add at least one task to MultiTaskFineTuneOptions.Tasks.", nameof(options));
        foreach (var task in options.Tasks) new TaskSpec(task.Name, TaskKind.Regression, 1).Validate(); // the name rules
        string? duplicate = options.Tasks.GroupBy(t => t.Name).FirstOrDefault(g => g.Count() > 1)?.Key;
        if (duplicate is not null) throw new ArgumentException($"Task name '{duplicate}' is used twice.", nameof(options));
        _options = options;
    }

    /// <summary>Result of the last <see cref="Fit"/> (steps, best validation metrics per task, throughput), for inspection.</summary>
    public FineTuneResult? LastResult { get; private set; }

    /// <summary>The settings the last <see cref="Fit"/> chose from the data (and those the options fixed), with the reasons.</summary>
    public DataAwareDefaults? LastDefaults { get; private set; }

    /// <summary>Reads every task's labelled texts, fine-tunes the shared encoder and heads jointly, and returns the model.</summary>
    public FineTunedTextTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var o = _options;
        o.CheckChoices();
        var tasks = o.Tasks;
        var names = tasks.Select(t => LabeledTextReader.Names(t.TrainingData ?? input, t.LabelColumnName, t.Kind)).ToArray();
        var train = Read(input, t => t.TrainingData, names, "training data")!;
        var valid = Read(o.ValidationSet, t => t.ValidationData, names, "validation data");
        var specs = tasks.Select((t, i) => new TaskSpec(t.Name, t.Kind, names[i]?.Length ?? 1) { LossWeight = t.LossWeight }).ToArray();
        var columns = tasks.Select((t, i) => TaskColumns.ForTask(t.Name, names[i])).ToArray();
        var model = TextFineTuning.Fit(o, specs, columns, tasks.Select(t => t.LabelColumnName).ToArray(), train, valid, out var result, out var defaults);
        LastResult = result;
        LastDefaults = defaults;
        return model;
    }

    /// <summary>
    /// All rows for every task: tasks without their own view read their labels from <paramref name="shared"/>; each
    /// task with its own view contributes rows labelled for that task only. Null when there is no data at all.
    /// </summary>
    private LabeledTexts? Read(IDataView? shared, Func<TextTaskOptions, IDataView?> own, string[]?[] names, string what)
    {
        var o = _options;
        var parts = new List<LabeledTexts>();
        var fromShared = o.Tasks.Select((t, i) => (t, i)).Where(p => own(p.t) is null).Select(p => new LabelSource(p.i, p.t.LabelColumnName, p.t.Kind)).ToArray();
        if (shared is not null && fromShared.Length > 0)
            parts.Add(LabeledTextReader.Read(shared, o.TextColumnName, o.SecondTextColumnName, o.Tasks.Count, fromShared, names, allowMissing: true, what));
        for (int i = 0; i < o.Tasks.Count; i++)
            if (own(o.Tasks[i]) is { } data)
                parts.Add(LabeledTextReader.Read(data, o.TextColumnName, o.SecondTextColumnName, o.Tasks.Count,
                    [new LabelSource(i, o.Tasks[i].LabelColumnName, o.Tasks[i].Kind)], names, allowMissing: true, $"{what} of task '{o.Tasks[i].Name}'"));
        if (parts.Count == 0) return null;
        return new LabeledTexts(parts.SelectMany(p => p.Texts).ToList(),
                                parts.All(p => p.Pairs is not null) ? parts.SelectMany(p => p.Pairs!).ToList() : null,
                                parts.SelectMany(p => p.Targets).ToList());
    }

    /// <summary>Adds every task's prediction columns after checking the text column and the label columns read from the input.</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        var o = _options;
        SchemaShapes.RequireText(inputSchema, o.TextColumnName, "Text");
        if (o.SecondTextColumnName is { } second) SchemaShapes.RequireText(inputSchema, second, "Second text");
        var added = new List<SchemaShape.Column>();
        foreach (var task in o.Tasks)
        {
            var label = task.TrainingData is null ? SchemaShapes.Find(inputSchema, task.LabelColumnName, $"Label (task '{task.Name}')") : (SchemaShape.Column?)null;
            added.AddRange(TaskColumns.ForTask(task.Name, null).Shapes(task.Kind, label?.Annotations));
        }
        return SchemaShapes.With(inputSchema, [.. added]);
    }
}
