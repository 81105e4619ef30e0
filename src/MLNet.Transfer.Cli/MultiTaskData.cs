using Microsoft.ML;
using MLNet.Transfer.Models.Heads;

namespace MLNet.Transfer.Cli;

/// <summary>One task of <c>train --task multitask</c>, as saved in the model file.</summary>
/// <param name="Name">Task name (prefix of its output columns).</param>
/// <param name="Kind">binary, multiclass, regression or tagging.</param>
/// <param name="LabelColumn">TSV label column (tagging: "Tags", read from a CoNLL file).</param>
/// <param name="Labels">Class names (multiclass) or tags (tagging).</param>
public sealed record TaskInfo(string Name, string Kind, string LabelColumn, string[]? Labels)
{
    /// <summary>The library's task kind.</summary>
    public TaskKind TaskKind => Kind switch
    {
        "binary" => TaskKind.Binary, "multiclass" => TaskKind.Multiclass, TaggingCommand.Task => TaskKind.Tagging, _ => TaskKind.Regression,
    };
}

/// <summary>A text-only row, for scoring models whose heads need no label column.</summary>
public sealed class TextOnlyRow { /// <summary>Text.</summary>
    public string Text { get; set; } = ""; }

/// <summary>A text with its whitespace-split words, for scoring multi-task models with a tagging task.</summary>
public sealed class TextAndWordsRow
{
    /// <summary>Text.</summary>
    public string Text { get; set; } = "";
    /// <summary>The text's words.</summary>
    public string[] Tokens { get; set; } = [];
}

/// <summary>Parsing of multi-task data options (<c>name=path:labelcol:kind</c>) and per-task data and metrics.</summary>
public static class MultiTaskData
{
    private static readonly string[] Kinds = ["binary", "multiclass", "regression", TaggingCommand.Task];

    /// <summary>A parsed <c>--train name=path:labelcol:kind</c> (tagging: <c>name=file.conll:tagging</c>, label column "Tags").</summary>
    public sealed record Spec(string Name, string Path, string LabelColumn, string Kind);

    /// <summary>
    /// Parses <c>name=path:labelcol:binary|multiclass|regression</c> or <c>name=file.conll:tagging</c> (a CoNLL file:
    /// <c>token&lt;TAB&gt;tag</c>, a blank line between sentences); the path may itself contain ':'.
    /// </summary>
    public static Spec ParseTrain(string value)
    {
        const string format = "name=path:labelcol:binary|multiclass|regression (or name=file.conll:tagging)";
        int eq = value.IndexOf('=');
        var parts = eq > 0 ? value[(eq + 1)..].Split(':') : [];
        if (eq > 0 && parts.Length >= 2 && parts[^1].Equals(TaggingCommand.Task, StringComparison.OrdinalIgnoreCase))
            return Checked(value, new Spec(value[..eq], string.Join(':', parts[..^1]), "Tags", TaggingCommand.Task), format);
        if (eq <= 0 || parts.Length < 3)
            throw new CliException($"--train '{value}': with --task multitask each --train is {format}, e.g. sentiment=data/uci.tsv:Label:binary.");
        string name = value[..eq], kind = parts[^1].ToLowerInvariant(), label = parts[^2], path = string.Join(':', parts[..^2]);
        if (!Kinds.Contains(kind)) throw new CliException($"--train '{value}': task kind '{parts[^1]}' must be one of {string.Join(", ", Kinds)}.");
        return Checked(value, new Spec(name, path, label, kind), format);
    }

    private static Spec Checked(string value, Spec spec, string format)
    {
        var (name, path, label) = (spec.Name, spec.Path, spec.LabelColumn);
        if (name.Contains('.') || string.IsNullOrWhiteSpace(name)) throw new CliException($"--train '{value}': task name '{name}' must be non-empty and contain no '.'.");
        if (path.Length == 0 || label.Length == 0) throw new CliException($"--train '{value}': expected {format}.");
        return spec;
    }

    /// <summary>Parses <c>name=path[:labelcol]</c> for --valid / --test, checking the task exists.</summary>
    public static (string Name, string Path, string? LabelColumn) ParseNamedPath(string option, string value, IReadOnlyCollection<string> tasks)
    {
        int eq = value.IndexOf('=');
        if (eq <= 0) throw new CliException($"--{option} '{value}': a multi-task model needs --{option} name=path[:labelcol] for each task ({string.Join(", ", tasks)}).");
        string name = value[..eq], rest = value[(eq + 1)..];
        if (!tasks.Contains(name)) throw new CliException($"--{option} '{value}': the model has no task '{name}' (tasks: {string.Join(", ", tasks)}).");
        int colon = rest.LastIndexOf(':');
        return colon > 0 && !File.Exists(rest) ? (name, rest[..colon], rest[(colon + 1)..]) : (name, rest, null);
    }

    /// <summary>Evaluates one task's columns of scored data with ML.NET's evaluator (multiclass labels keyed in the model's class order).</summary>
    public static Dictionary<string, double> Evaluate(MLContext mlContext, TaskInfo task, IDataView data, ITransformer model) =>
        Evaluate(mlContext, task, data, model, out _);

    /// <summary>As <see cref="Evaluate(MLContext, TaskInfo, IDataView, ITransformer)"/>, also returning ML.NET's confusion matrix (null for regression).</summary>
    public static Dictionary<string, double> Evaluate(MLContext mlContext, TaskInfo task, IDataView data, ITransformer model, out Microsoft.ML.Data.ConfusionMatrix? confusion)
    {
        if (task.Kind == TaggingCommand.Task)
        {
            confusion = null;
            return TaggingCommand.Metrics(mlContext.MulticlassClassification.EvaluateTokenClassification(model.Transform(data), "Tags", $"{task.Name}.PredictedLabel"));
        }
        if (task.Kind == "multiclass")
        {
            var keys = mlContext.Data.LoadFromEnumerable(task.Labels!.Select(l => new TextOnlyRow { Text = l }));
            data = mlContext.Transforms.Conversion.MapValueToKey("Label", "Label", keyData: keys).Fit(data).Transform(data);
        }
        return Metrics.Evaluate(mlContext, task.Kind, model.Transform(data), out confusion, $"{task.Name}.");
    }
}
