using Microsoft.ML;

namespace MLNet.Transfer.Cli;

/// <summary><c>evaluate</c>: ML.NET metrics of a saved model on a labelled TSV.</summary>
public static class EvaluateCommand
{
    /// <summary>The verb's definition: usage, options and notes.</summary>
    public static CliVerb Verb { get; } = new("evaluate", "ML.NET metrics of a model.zip on a labelled TSV",
        """
        mlnet-transfer evaluate --model-file model.zip --test data.tsv [--json] [--label-col L] [--text-col T] [--separator C]
                                [--engine auto|onnxruntime|libtorch] [--device cpu|cuda[:N]]
        mlnet-transfer evaluate --model-file multitask.zip --test name=path[:labelcol] (once per task to evaluate) [--json]
                                (a tagging task: --test name=f.conll)
        mlnet-transfer evaluate --model-file m.zip --test f.conll [--json] [--engine auto|onnxruntime|libtorch]    (a tagger)
        """,
        [
            CliOption.Value("model-file", "model.zip", "The model: one written by train, or any ML.NET model zip saved with mlContext.Model.Save (the task is read from its outputs, the columns from its saved input schema)."),
            CliOption.Value("test", "data.tsv",
                "The labelled test data (a tagger: a CoNLL file). Multi-task models: name=path[:labelcol], once per task to evaluate "
                + "(a tagging task: name=f.conll)."),
            CliOption.Flag("json",
                "Print one JSON object whose keys are exactly the metric names (multi-task: one object {\"<task>\": {metrics}, ...})."),
            CliOption.Value("label-col", "L", "The label column.", "the one the model was trained with"),
            CliOption.Value("text-col", "T", "The text column.", "the one the model was trained with"),
            TsvFile.SeparatorOption,
            EngineOption.ForSavedModel,
            DeviceOption.ForSavedModel,
        ],
        [
            "Binary: Accuracy, AreaUnderRocCurve, F1Score; multiclass: MicroAccuracy, MacroAccuracy, LogLoss; regression: RSquared, "
            + "RootMeanSquaredError. --json prints one JSON object with exactly those keys. Columns default to the ones the model was "
            + "trained with.",
            "Multi-task models: the metrics of each named task; --json prints one object {\"<task>\": {metrics}, ...}.",
            "Taggers: entity-level Precision, Recall, F1Score (exact span and type, conlleval convention, fractions 0-1), the per-type "
            + "table and TokenAccuracy; --json prints one object with exactly those four keys.",
        ],
        Run);

    /// <summary>Runs the verb.</summary>
    public static int Run(CliArguments args)
    {
        string modelPath = args.Required("model-file");
        bool json = args.Flag("json");
        string? labelCol = args.Optional("label-col"), textCol = args.Optional("text-col");
        char separator = TsvFile.Separator(args);
        var engine = EngineOption.Read(args);
        string device = DeviceOption.Read(args);
        var mlContext = new MLContext(1);
        var (loaded, info) = ModelFile.Load(mlContext, modelPath);
        var model = EngineOption.Apply(mlContext, DeviceOption.Apply(mlContext, loaded, device), engine);
        if (info.Tasks is { } tasks) return EvaluateTasks(args, mlContext, model, tasks, textCol ?? info.TextColumn, json, separator);
        if (info.Task == TaggingCommand.Task) return TaggingCommand.Evaluate(args, mlContext, model, info, modelPath, json);
        if (info.Task == MultipleChoiceCommand.Task) return MultipleChoiceCommand.Evaluate(args, mlContext, model, info, modelPath, json, separator);
        string testPath = args.Required("test");
        args.RejectUnused();
        var test = TsvFile.Read(testPath, separator);
        labelCol ??= info.LabelColumn;
        textCol ??= info.TextColumn;
        CheckLabelsSeen(test, labelCol, info.Labels);
        var data = LabeledData.Load(mlContext, test, info.Task, labelCol, textCol);
        var metrics = Metrics.Evaluate(mlContext, info.Task, model.Transform(data));
        Metrics.Print(metrics, json, $"{info.Task} metrics of {modelPath} on {testPath} ({test.Rows.Count} rows):");
        return 0;
    }

    private static void CheckLabelsSeen(TsvFile test, string labelCol, string[]? known)
    {
        if (known is null) return;
        var unseen = LabeledData.Labels(test, labelCol).Except(known).ToArray();
        if (unseen.Length > 0)
            throw new CliException($"{test.Path}: label(s) {string.Join(", ", unseen.Select(u => $"'{u}'"))} in column '{labelCol}' were not seen in training (known: {string.Join(", ", known)}).");
    }

    private static int EvaluateTasks(CliArguments args, MLContext mlContext, ITransformer model, TaskInfo[] tasks, string textCol, bool json, char separator)
    {
        var tests = args.All("test").Select(t => MultiTaskData.ParseNamedPath("test", t, tasks.Select(k => k.Name).ToArray())).ToArray();
        args.RejectUnused();
        if (tests.Length == 0) throw new CliException($"Missing required option --test name=path[:labelcol] for a task of this multi-task model ({string.Join(", ", tasks.Select(t => t.Name))}).");
        var results = new Dictionary<string, Dictionary<string, double>>();
        foreach (var (name, path, label) in tests)
        {
            var task = tasks.Single(t => t.Name == name);
            if (task.Kind == TaggingCommand.Task)
            {
                var sentences = TaggingCommand.ReadTest(path, task.Labels);
                results[name] = MultiTaskData.Evaluate(mlContext, task, mlContext.Data.LoadFromTaggedSentences(sentences), model);
                if (!json) Metrics.Print(results[name], json: false, $"{name} (tagging, entity level) metrics on {path} ({sentences.Count} sentences):");
                continue;
            }
            var file = TsvFile.Read(path, separator);
            string labelCol = label ?? task.LabelColumn;
            CheckLabelsSeen(file, labelCol, task.Labels);
            results[name] = MultiTaskData.Evaluate(mlContext, task, LabeledData.Load(mlContext, file, task.Kind, labelCol, textCol), model);
            if (!json) Metrics.Print(results[name], json: false, $"{name} ({task.Kind}) metrics on {path} ({file.Rows.Count} rows):");
        }
        if (json)
            Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(results.ToDictionary(r => r.Key,
                r => r.Value.ToDictionary(kv => kv.Key, kv => double.IsFinite(kv.Value) ? kv.Value : (double?)null))));
        return 0;
    }
}
