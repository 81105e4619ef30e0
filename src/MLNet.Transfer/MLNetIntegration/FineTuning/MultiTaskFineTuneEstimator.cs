using Microsoft.ML;
using MLNet.Transfer.Models.Heads;
using MLNet.Transfer.Models.Tagging;
using MLNet.Transfer.Text.Tagging;
using MLNet.Transfer.Training;
using MLNet.Transfer.Runtime;

namespace MLNet.Transfer.MLNetIntegration;

/// <summary>
/// Fine-tunes one shared encoder with a head per task (multi-task learning, e.g. sentiment + sarcasm, or named entities +
/// sentiment) and returns one <see cref="FineTunedTextTransformer"/> that adds each task's standard prediction columns named
/// by the task ("sentiment.Score", "sentiment.Probability", "sentiment.PredictedLabel", ...), so each task is evaluated with
/// the usual ML.NET evaluator by passing those column names. Labels come from the data passed to <see cref="Fit"/> (several
/// label columns; a missing value means "not labelled for this task") and/or from each task's own
/// <see cref="TextTaskOptions.TrainingData"/>. A <see cref="TaskKind.Tagging"/> task reads a words and a tags column and adds
/// "&lt;task&gt;.PredictedLabel" (vector of keys) and "&lt;task&gt;.Score" (vector), evaluated with
/// <c>EvaluateTokenClassification</c>. Reach it through <c>mlContext.Transforms.Text.FineTuneMultiTask</c>.
/// </summary>
public sealed class MultiTaskFineTuneEstimator : IEstimator<FineTunedTextTransformer>
{
    private readonly MultiTaskFineTuneOptions _options;

    /// <summary>Creates the estimator; the tasks are checked here.</summary>
    public MultiTaskFineTuneEstimator(MultiTaskFineTuneOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Tasks is not { Count: > 0 }) throw new ArgumentException("Add at least one task to MultiTaskFineTuneOptions.Tasks.", nameof(options));
        foreach (var task in options.Tasks)
        {
            new TaskSpec(task.Name, TaskKind.Regression, 1).Validate(); // the name rules
            if (!Enum.IsDefined(task.Kind)) throw new ArgumentOutOfRangeException(nameof(options), task.Kind, $"Task '{task.Name}': Kind must be one of {string.Join(", ", Enum.GetNames<TaskKind>())}.");
            if (task.Head is { } head && !Enum.IsDefined(head))
                throw new ArgumentOutOfRangeException(nameof(options), head, $"Task '{task.Name}': Head must be one of {string.Join(", ", Enum.GetNames<TaggingHead>())}.");
            if (task.Kind != TaskKind.Tagging && (task.Head is not null || task.CasingFeatures))
                throw new ArgumentException($"Task '{task.Name}' ({task.Kind}): Head and CasingFeatures are options of tagging tasks.", nameof(options));
        }
        string? duplicate = options.Tasks.GroupBy(t => t.Name).FirstOrDefault(g => g.Count() > 1)?.Key;
        if (duplicate is not null) throw new ArgumentException($"Task name '{duplicate}' is used twice.", nameof(options));
        _options = options;
    }

    /// <summary>Result of the last <see cref="Fit"/> (steps, best validation metrics per task, throughput), for inspection.</summary>
    public FineTuneResult? LastResult { get; private set; }

    /// <summary>The settings the last <see cref="Fit"/> chose from the data (and those the options fixed), with the reasons.</summary>
    public DataAwareDefaults? LastDefaults { get; private set; }

    /// <summary>Reads every task's labelled texts (and tagged sentences), fine-tunes the shared encoder and heads jointly, and returns the model.</summary>
    public FineTunedTextTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        LibTorchRequirement.Ensure("Fine-tuning (MultiTaskFineTuneEstimator.Fit)");
        var o = _options;
        o.CheckChoices();
        var tasks = o.Tasks;
        var taggedTrain = tasks.Select(t => t.Kind == TaskKind.Tagging ? TaggedSentences(t, t.TrainingData ?? input, "training data") : null).ToArray();
        var taggedValid = tasks.Select(t => t.Kind == TaskKind.Tagging && (t.ValidationData ?? WithWords(o.ValidationSet, t)) is { } data ? TaggedSentences(t, data, "validation data") : null).ToArray();
        var names = tasks.Select((t, i) => t.Kind == TaskKind.Tagging
            ? TagSet(t, (t.TrainingData ?? input).Schema[t.LabelColumnName], taggedTrain[i]!)
            : LabeledTextReader.Names(t.TrainingData ?? input, t.LabelColumnName, t.Kind)).ToArray();
        var train = Read(input, t => t.TrainingData, names, "training data") ?? new LabeledTexts([], null, []);
        var valid = Read(o.ValidationSet, t => t.ValidationData, names, "validation data");
        var specs = tasks.Select((t, i) => new TaskSpec(t.Name, t.Kind, names[i]?.Length ?? 1)
        {
            LossWeight = t.LossWeight,
            Tagging = t.Kind == TaskKind.Tagging ? new TaggerSpec(names[i]!, t.Head ?? TokenClassifierOptions.DefaultHead(names[i]!), CasingFeatures: t.CasingFeatures) : null,
        }).ToArray();
        var columns = tasks.Select((t, i) => TaskColumns.ForTask(t.Name, names[i]) with { Tokens = t.Kind == TaskKind.Tagging ? t.TokensColumnName : null }).ToArray();
        var unlabelled = UnlabeledTexts.From(o, SemiSupervisedApplies, NoSemiSupervisedTask);
        var model = TextFineTuning.Fit(o, specs, columns, tasks.Select(t => t.LabelColumnName).ToArray(), train, valid, out var result, out var defaults,
                                       new TaggedData(taggedTrain, taggedValid), unlabelled);
        LastResult = result;
        LastDefaults = defaults;
        return model;
    }

    /// <summary>Whether some task learns from unlabelled texts: binary, multiclass and tagging tasks do (regression and multi-label ones have no confidence to threshold).</summary>
    private bool SemiSupervisedApplies => _options.Tasks.Any(t => t.Kind is TaskKind.Binary or TaskKind.Multiclass or TaskKind.Tagging);

    private string NoSemiSupervisedTask => $"a binary, multiclass or tagging task; the tasks are {string.Join(", ", _options.Tasks.Select(t => $"{t.Name} ({t.Kind})"))}";

    /// <summary>A tagging task's sentences, with errors that name the task.</summary>
    private static List<TaggedSentence> TaggedSentences(TextTaskOptions task, IDataView data, string what)
    {
        if (data.Schema.GetColumnOrNull(task.TokensColumnName) is null)
            throw new ArgumentOutOfRangeException(nameof(data),
                $"Tagging task '{task.Name}' needs a words column '{task.TokensColumnName}' (vector of text) in its {what}, which has columns {string.Join(", ", data.Schema.Select(c => c.Name))}; set TextTaskOptions.TokensColumnName (LoadFromConllFile names it Tokens).");
        if (data.Schema.GetColumnOrNull(task.LabelColumnName) is null)
            throw new ArgumentOutOfRangeException(nameof(data),
                $"Tagging task '{task.Name}' needs a tags column '{task.LabelColumnName}' (vector of text or keys) in its {what}, which has columns {string.Join(", ", data.Schema.Select(c => c.Name))}; set TextTaskOptions.LabelColumnName (LoadFromConllFile names it Tags).");
        return TagSequenceColumns.ReadSentences(data, task.TokensColumnName, task.LabelColumnName, $"{what} of task '{task.Name}'");
    }

    private static string[] TagSet(TextTaskOptions task, DataViewSchema.Column column, IReadOnlyList<TaggedSentence> train)
    {
        var tags = TagSequenceColumns.TagSet(column, train);
        if (tags.Length < 2) throw new InvalidDataException($"Tags column '{task.LabelColumnName}' of task '{task.Name}' has only one tag ('{tags.FirstOrDefault()}') in the training data; a tagger needs at least two.");
        return tags;
    }

    /// <summary>The shared validation view when it has the tagging task's words and tags columns (a view for the sentence tasks may not).</summary>
    private static IDataView? WithWords(IDataView? data, TextTaskOptions task) =>
        data is not null && data.Schema.GetColumnOrNull(task.TokensColumnName) is not null && data.Schema.GetColumnOrNull(task.LabelColumnName) is not null ? data : null;

    /// <summary>
    /// All rows for every sentence task: tasks without their own view read their labels from <paramref name="shared"/>; each
    /// task with its own view contributes rows labelled for that task only. Null when there is no data at all.
    /// </summary>
    private LabeledTexts? Read(IDataView? shared, Func<TextTaskOptions, IDataView?> own, string[]?[] names, string what)
    {
        var o = _options;
        var parts = new List<LabeledTexts>();
        var sentenceTasks = o.Tasks.Select((t, i) => (t, i)).Where(p => p.t.Kind != TaskKind.Tagging).ToArray();
        var fromShared = sentenceTasks.Where(p => own(p.t) is null).Select(p => new LabelSource(p.i, p.t.LabelColumnName, p.t.Kind)).ToArray();
        if (shared is not null && fromShared.Length > 0)
            parts.Add(LabeledTextReader.Read(shared, o.TextColumnName, o.SecondTextColumnName, o.Tasks.Count, fromShared, names, allowMissing: true, what));
        foreach (var (task, i) in sentenceTasks)
            if (own(task) is { } data)
                parts.Add(LabeledTextReader.Read(data, o.TextColumnName, o.SecondTextColumnName, o.Tasks.Count,
                    [new LabelSource(i, task.LabelColumnName, task.Kind)], names, allowMissing: true, $"{what} of task '{task.Name}'"));
        if (parts.Count == 0) return null;
        return new LabeledTexts(parts.SelectMany(p => p.Texts).ToList(),
                                parts.All(p => p.Pairs is not null) ? parts.SelectMany(p => p.Pairs!).ToList() : null,
                                parts.SelectMany(p => p.Targets).ToList());
    }

    /// <summary>Adds every task's prediction columns after checking the text column and the label (words and tags) columns read from the input.</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        var o = _options;
        if (o.Tasks.Any(t => t.Kind != TaskKind.Tagging))
        {
            SchemaShapes.RequireText(inputSchema, o.TextColumnName, "Text");
            if (o.SecondTextColumnName is { } second) SchemaShapes.RequireText(inputSchema, second, "Second text");
        }
        UnlabeledTexts.CheckSchema(o, SemiSupervisedApplies, NoSemiSupervisedTask);
        var added = new List<SchemaShape.Column>();
        foreach (var task in o.Tasks)
        {
            if (task.Kind == TaskKind.Tagging)
            {
                if (task.TrainingData is null) TagSequenceColumns.CheckShapes(inputSchema, task.TokensColumnName, task.LabelColumnName, $" (task '{task.Name}')");
                added.AddRange(TaskColumns.ForTask(task.Name, null).Shapes(task.Kind));
                continue;
            }
            var label = task.TrainingData is null ? SchemaShapes.Find(inputSchema, task.LabelColumnName, $"Label (task '{task.Name}')") : (SchemaShape.Column?)null;
            added.AddRange(TaskColumns.ForTask(task.Name, null).Shapes(task.Kind, label?.Annotations));
        }
        return SchemaShapes.With(inputSchema, [.. added]);
    }
}
