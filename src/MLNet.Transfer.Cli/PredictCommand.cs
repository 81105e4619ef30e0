using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.Transfer.Cli;

/// <summary><c>predict</c>: label and score for one text.</summary>
public static class PredictCommand
{
    /// <summary>Usage text.</summary>
    public const string Help = """
        mlnet-transfer predict --model-file model.zip --text "..."
          Prints the predicted label and its score (binary: probability of the positive class; multiclass: the
          class probability; regression: the predicted value). Multi-task models print one line per task.
        """;

    /// <summary>Runs the verb.</summary>
    public static int Run(CliArguments args)
    {
        string modelPath = args.Required("model-file"), text = args.Required("text");
        args.RejectUnknown("predict");
        var mlContext = new MLContext(1);
        var (model, info) = ModelFile.Load(mlContext, modelPath);
        if (info.Task == TaggingCommand.Task) return TaggingCommand.Predict(mlContext, model, text);
        if (info.Tasks is { } tasks)
        {
            var row = model.Transform(mlContext.Data.LoadFromEnumerable([new TextOnlyRow { Text = text }]));
            foreach (var task in tasks) Console.WriteLine($"{task.Name}: {Describe(row, task.Kind, task.Name + ".")}");
            return 0;
        }
        IDataView input = info.Task switch
        {
            "binary" => mlContext.Data.LoadFromEnumerable([new BinaryRow { Text = text }]),
            "multiclass" => mlContext.Data.LoadFromEnumerable([new MulticlassRow { Text = text, Label = info.Labels![0] }]),
            _ => mlContext.Data.LoadFromEnumerable([new RegressionRow { Text = text }]),
        };
        Console.WriteLine(Describe(model.Transform(input), info.Task, ""));
        return 0;
    }

    /// <summary>"label: … score: …" of the first row of scored data, for the columns starting with <paramref name="prefix"/>.</summary>
    private static string Describe(IDataView scored, string task, string prefix)
    {
        using var cursor = scored.GetRowCursor(scored.Schema);
        cursor.MoveNext();
        T Get<T>(string column) { T value = default!; cursor.GetGetter<T>(scored.Schema[prefix + column])(ref value); return value; }
        return task switch
        {
            "binary" => $"label: {(Get<bool>("PredictedLabel") ? 1 : 0)}  score: {Get<float>("Probability"):F4}",
            "multiclass" => $"label: {KeyName(scored.Schema[prefix + "PredictedLabel"], Get<uint>("PredictedLabel"))}  score: {Get<VBuffer<float>>("Score").DenseValues().Max():F4}",
            _ => $"score: {Get<float>("Score"):F4}",
        };
    }

    private static string KeyName(DataViewSchema.Column column, uint key)
    {
        VBuffer<ReadOnlyMemory<char>> names = default;
        column.GetKeyValues(ref names);
        return key == 0 ? "?" : names.GetItemOrDefault((int)key - 1).ToString();
    }
}
