using System.Globalization;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transfer.MLNetIntegration;

namespace MLNet.Transfer.Cli;

/// <summary>A multiple-choice row: the context, its candidates (a vector sized at run time) and the right candidate's 0-based slot.</summary>
public sealed class ChoiceRow
{
    /// <summary>Context.</summary>
    public string Text { get; set; } = "";
    /// <summary>Candidates, in column order.</summary>
    public string[] Candidates { get; set; } = [];
    /// <summary>0-based slot of the right candidate.</summary>
    public float Label { get; set; }
}

/// <summary>
/// <c>train --task multiple-choice</c>, and <c>evaluate</c> / <c>predict</c> of such a model: a TSV with a context column
/// (--text-col), one column per candidate (--candidate-cols) and the right candidate's 0-based index (--label-col).
/// </summary>
public static class MultipleChoiceCommand
{
    /// <summary>The task name stored in the model file.</summary>
    public const string Task = "multiple-choice";

    /// <summary>Runs <c>train --task multiple-choice</c>.</summary>
    public static int Train(CliArguments args)
    {
        string trainPath = args.Required("train");
        string? validPath = args.Optional("valid");
        string labelCol = args.Optional("label-col") ?? "Label", textCol = args.Optional("text-col") ?? "Text";
        string? candidateList = args.Optional("candidate-cols");
        string model = args.Optional("model") ?? "minilm";
        string device = DeviceOption.Read(args);
        int seed = args.Int("seed") ?? 42;
        int? epochs = args.Int("epochs", 1, 1000), batchSize = args.Int("batch-size", 1, 4096), maxTokens = args.Int("max-tokens", 3, 512);
        double? lr = args.Double("lr", 1e-8, 1), auxiliary = args.Double("aux-lm-weight", 0, 100);
        string? checkpointDir = args.Optional("checkpoint-dir");
        char separator = TsvFile.Separator(args);
        bool json = args.Flag("json");
        string output = args.Required("output");
        args.RejectUnused($"--task {Task}");
        string[] candidateCols = [.. (candidateList ?? throw new CliException("--task multiple-choice needs --candidate-cols A,B,... (one column per candidate, at least 2)."))
                                      .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
        if (candidateCols.Length < 2) throw new CliException($"--candidate-cols names {candidateCols.Length} column; multiple choice needs at least 2 candidates.");

        var file = TsvFile.Read(trainPath, separator);
        var mlContext = new MLContext(seed);
        IDataView train, valid;
        if (validPath is null)
        {
            var (trainRows, validRows) = HoldOut.Split(file, file.Column(labelCol, "label-col"), seed);
            (train, valid) = (Load(mlContext, file, textCol, candidateCols, labelCol, trainRows), Load(mlContext, file, textCol, candidateCols, labelCol, validRows));
        }
        else (train, valid) = (Load(mlContext, file, textCol, candidateCols, labelCol), Load(mlContext, TsvFile.Read(validPath, separator), textCol, candidateCols, labelCol));
        var options = new FineTuneMultipleChoiceOptions
        {
            Model = model, Device = device, Seed = seed, Epochs = epochs, BatchSize = batchSize, MaxTokens = maxTokens, AuxiliaryLanguageModelWeight = auxiliary,
            CheckpointDirectory = checkpointDir, ValidationSet = valid, DefaultsChosen = d => Console.WriteLine(string.Join("\n  ", [$"Settings: {d.Summary}", .. d.Reasons])),
        };
        if (lr is { } rate) options.LearningRate = rate;
        Console.WriteLine($"Training multiple-choice model (finetune, {model}) on {trainPath}: {candidateCols.Length} candidates per context; validation {validPath ?? "10% held out"}.");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var trained = TrainingDisplay.Run(progress => { options.Progress = progress; return mlContext.MulticlassClassification.Trainers.FineTuneMultipleChoice(options).Fit(train); });
        Console.WriteLine($"Trained in {clock.Elapsed.TotalSeconds:F1} s.");
        var info = new ModelInfo(Task, "finetune", labelCol, textCol, candidateCols, model);
        ModelFile.Save(mlContext, trained, train.Schema, info, output);
        var metrics = Metrics.Evaluate(mlContext, "multiclass", trained.Transform(valid));
        Metrics.Print(metrics, json: false, validPath is null ? "Validation metrics (10% held out of --train):" : $"Validation metrics ({validPath}):");
        Console.WriteLine($"Saved {output}");
        if (json) Metrics.PrintWithWarnings(metrics);
        return 0;
    }

    /// <summary>Runs <c>evaluate</c> on a multiple-choice model: ML.NET's multiclass metrics (MicroAccuracy, MacroAccuracy, LogLoss).</summary>
    public static int Evaluate(CliArguments args, MLContext mlContext, ITransformer model, ModelInfo info, string modelPath, bool json, char separator)
    {
        string testPath = args.Required("test");
        string labelCol = args.Optional("label-col") ?? info.LabelColumn, textCol = args.Optional("text-col") ?? info.TextColumn;
        args.RejectUnused();
        var data = Load(mlContext, TsvFile.Read(testPath, separator), textCol, info.Labels!, labelCol);
        var metrics = Metrics.Evaluate(mlContext, "multiclass", model.Transform(data));
        Metrics.Print(metrics, json, $"multiple-choice metrics of {modelPath} on {testPath}:");
        return 0;
    }

    /// <summary>
    /// Runs <c>predict</c> on a multiple-choice model: each text is the context and its candidates separated by tabs; prints
    /// the chosen candidate and its probability (--json: PredictedLabel = its 0-based index, Candidate, Score = every candidate's probability).
    /// </summary>
    public static void Predict(MLContext mlContext, ITransformer model, ModelInfo info, IReadOnlyList<string> texts, bool json)
    {
        int candidates = info.Labels!.Length;
        var rows = texts.Select((t, i) =>
        {
            var parts = t.Split('\t');
            if (parts.Length != candidates + 1)
                throw new CliException($"text {i + 1}: a multiple-choice model needs the context and {candidates} candidates separated by tabs; got {parts.Length} field(s).");
            return new ChoiceRow { Text = parts[0], Candidates = parts[1..] };
        }).ToList();
        var scored = model.Transform(mlContext.Data.LoadFromEnumerable(rows, Schema(candidates)));
        var scores = scored.GetColumn<VBuffer<float>>(scored.Schema["Score"]).Select(v => v.DenseValues().ToArray()).ToArray();
        for (int i = 0; i < rows.Count; i++)
        {
            int best = Array.IndexOf(scores[i], scores[i].Max());
            Console.WriteLine(json
                ? JsonSerializer.Serialize(new Dictionary<string, object> { ["text"] = texts[i], ["PredictedLabel"] = best, ["Candidate"] = rows[i].Candidates[best], ["Score"] = scores[i] })
                : $"label: {best} ({rows[i].Candidates[best]})  score: {scores[i][best]:F4}");
        }
    }

    /// <summary>The rows of <paramref name="file"/> (only <paramref name="rows"/> when given), every label checked to be a candidate index.</summary>
    private static IDataView Load(MLContext mlContext, TsvFile file, string textCol, string[] candidateCols, string labelCol, IReadOnlyList<int>? rows = null)
    {
        int text = file.Column(textCol, "text-col"), label = file.Column(labelCol, "label-col");
        int[] candidates = [.. candidateCols.Select(c => file.Column(c, "candidate-cols"))];
        var selected = rows ?? Enumerable.Range(0, file.Rows.Count).ToArray();
        var data = selected.Select(i =>
        {
            string value = file.Rows[i][label].Trim();
            if (!int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int slot) || slot < 0 || slot >= candidates.Length)
                throw new CliException($"{file.Path} line {i + 2}: label '{value}' in column '{labelCol}' is not a candidate index from 0 to {candidates.Length - 1} (the position in --candidate-cols).");
            return new ChoiceRow { Text = file.Rows[i][text], Candidates = [.. candidates.Select(c => file.Rows[i][c])], Label = slot };
        }).ToList();
        return mlContext.Data.LoadFromEnumerable(data, Schema(candidates.Length));
    }

    /// <summary>The row schema with the candidates as a vector of <paramref name="candidates"/> texts.</summary>
    private static SchemaDefinition Schema(int candidates)
    {
        var schema = SchemaDefinition.Create(typeof(ChoiceRow));
        schema[nameof(ChoiceRow.Candidates)].ColumnType = new VectorDataViewType(TextDataViewType.Instance, candidates);
        return schema;
    }
}
