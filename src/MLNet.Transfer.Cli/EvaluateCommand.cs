using Microsoft.ML;

namespace MLNet.Transfer.Cli;

/// <summary><c>evaluate</c>: ML.NET metrics of a saved model on a labelled TSV.</summary>
public static class EvaluateCommand
{
    /// <summary>Usage text.</summary>
    public const string Help = """
        mlnet-transfer evaluate --model-file model.zip --test data.tsv [--json] [--label-col L] [--text-col T]
          Binary: Accuracy, AreaUnderRocCurve, F1Score; multiclass: MicroAccuracy, MacroAccuracy, LogLoss;
          regression: RSquared, RootMeanSquaredError. --json prints one JSON object with exactly those keys.
          Columns default to the ones the model was trained with.
        """;

    /// <summary>Runs the verb.</summary>
    public static int Run(CliArguments args)
    {
        string modelPath = args.Required("model-file"), testPath = args.Required("test");
        bool json = args.Flag("json");
        string? labelCol = args.Optional("label-col"), textCol = args.Optional("text-col");
        args.RejectUnknown("evaluate");
        var mlContext = new MLContext(1);
        var test = TsvFile.Read(testPath);
        var (model, info) = ModelFile.Load(mlContext, modelPath);
        labelCol ??= info.LabelColumn;
        textCol ??= info.TextColumn;
        if (info.Labels is { } known)
        {
            var unseen = LabeledData.Labels(test, labelCol).Except(known).ToArray();
            if (unseen.Length > 0)
                throw new CliException($"{testPath}: label(s) {string.Join(", ", unseen.Select(u => $"'{u}'"))} in column '{labelCol}' were not seen in training (known: {string.Join(", ", known)}).");
        }
        var data = LabeledData.Load(mlContext, test, info.Task, labelCol, textCol);
        var metrics = Metrics.Evaluate(mlContext, info.Task, model.Transform(data));
        Metrics.Print(metrics, json, $"{info.Task} metrics of {modelPath} on {testPath} ({test.Rows.Count} rows):");
        return 0;
    }
}
