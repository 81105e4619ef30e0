using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.Transfer.Cli;

/// <summary>
/// An ML.NET model zip not written by <c>train</c> (e.g. a pipeline saved with <c>mlContext.Model.Save</c>): the task is
/// read from its output columns (PredictedLabel Boolean → binary, key → multiclass, vector of keys → tagging; only Score
/// → regression), its text and label columns from its saved input schema, and it is fed through a column copy so the
/// CLI's "Text"/"Label" (tagging: "Tokens"/"Tags") rows reach the columns it was trained on.
/// </summary>
public static class ForeignModel
{
    /// <summary>The model behind an adapter for the CLI's rows, and what the CLI needs to know about it.</summary>
    /// <exception cref="CliException">The outputs are not those of a model the CLI can evaluate, or the text column is ambiguous.</exception>
    public static (ITransformer Model, ModelInfo Info) Describe(MLContext mlContext, ITransformer model, DataViewSchema input, string path)
    {
        DataViewSchema output;
        try { output = model.GetOutputSchema(input); }
        catch (Exception e) { throw new CliException($"'{path}': the model does not accept its own saved input schema ({e.Message})."); }
        var predicted = output.GetColumnOrNull("PredictedLabel");
        string task = predicted?.Type switch
        {
            BooleanDataViewType => "binary",
            KeyDataViewType => "multiclass",
            VectorDataViewType { ItemType: KeyDataViewType } => TaggingCommand.Task,
            null when output.GetColumnOrNull("Score")?.Type is NumberDataViewType => "regression",
            _ => throw new CliException($"'{path}' was not written by mlnet-transfer train, and its outputs are not a binary, multiclass, regression or " +
                                        "tagging model's (PredictedLabel Boolean / key / vector of keys, or a Score alone); multi-task models need the file train wrote."),
        };
        string? label = LabelColumn(input, task);
        string text = TextColumn(input, task, label, path);
        string[]? labels = task is "multiclass" or TaggingCommand.Task ? KeyColumns.Names(predicted!.Value) : null;
        var (cliText, cliLabel) = task == TaggingCommand.Task ? ("Tokens", "Tags") : ("Text", "Label");
        var copies = new List<InputOutputColumnPair>();
        if (text != cliText) copies.Add(new InputOutputColumnPair(text, cliText));
        if (label is not null && label != cliLabel) copies.Add(new InputOutputColumnPair(label, cliLabel));
        ITransformer adapted = model;
        if (copies.Count > 0)
        {
            var empty = task switch
            {
                "binary" => mlContext.Data.LoadFromEnumerable(new List<BinaryRow>()),
                "multiclass" => mlContext.Data.LoadFromEnumerable(new List<MulticlassRow>()),
                "regression" => mlContext.Data.LoadFromEnumerable(new List<RegressionRow>()),
                _ => mlContext.Data.LoadFromTaggedSentences([]),
            };
            IEstimator<ITransformer> copy = mlContext.Transforms.CopyColumns(copies[0].OutputColumnName, copies[0].InputColumnName);
            foreach (var pair in copies.Skip(1)) copy = copy.Append(mlContext.Transforms.CopyColumns(pair.OutputColumnName, pair.InputColumnName));
            adapted = copy.Fit(empty).Append(model);
        }
        return (adapted, new ModelInfo(task, "unknown", label ?? cliLabel, text, labels, null));
    }

    /// <summary>
    /// The input column named Label (Tags for tagging) when its type fits the task, else the only other column that fits
    /// (binary: Boolean; regression: a number; multiclass: text or key, not the conventional text column); null if none.
    /// A pipeline fitted on a wider row keeps every column of that row in its input schema, e.g. a Boolean Label next to
    /// the multiclass Topic it was trained on.
    /// </summary>
    private static string? LabelColumn(DataViewSchema input, string task)
    {
        if (task == TaggingCommand.Task) return input.GetColumnOrNull("Tags") is null ? null : "Tags";
        bool Fits(DataViewType type) => task switch
        {
            "binary" => type is BooleanDataViewType,
            "regression" => type is NumberDataViewType,
            _ => type is TextDataViewType or KeyDataViewType,
        };
        if (input.GetColumnOrNull("Label") is { } conventional && Fits(conventional.Type)) return "Label";
        var candidates = input.Where(c => c.Name is not ("Label" or "Text") && Fits(c.Type)).ToArray();
        return candidates.Length == 1 ? candidates[0].Name : null;
    }

    /// <summary>The input's only text column besides the label (tagging: the vector of text), preferring "Text"/"Tokens".</summary>
    private static string TextColumn(DataViewSchema input, string task, string? label, string path)
    {
        bool tagging = task == TaggingCommand.Task;
        var texts = input.Where(c => c.Name != label && (tagging ? c.Type is VectorDataViewType { ItemType: TextDataViewType } : c.Type is TextDataViewType))
                         .Select(c => c.Name).ToArray();
        string conventional = tagging ? "Tokens" : "Text";
        if (texts.Contains(conventional)) return conventional;
        return texts.Length == 1 ? texts[0]
            : throw new CliException($"'{path}': cannot tell the model's text column among its inputs ({string.Join(", ", input.Select(c => c.Name))}); " +
                                     $"it needs exactly one {(tagging ? "vector-of-text" : "text")} input column besides the label.");
    }
}
