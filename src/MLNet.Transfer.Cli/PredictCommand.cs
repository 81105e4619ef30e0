using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.Transfer.Cli;

/// <summary><c>predict</c>: label and score for one text, or for each line of a file or of standard input.</summary>
public static class PredictCommand
{
    /// <summary>Usage text.</summary>
    public const string Help = """
        mlnet-transfer predict --model-file model.zip (--text "..." | --input file.txt)
          Prints the predicted label and its score (binary: probability of the positive class; multiclass: the
          class probability; regression: the predicted value). Multi-task models print one line per task.
          --input reads one text per line ("-" reads standard input) and prints one result per line (multi-task:
          the tasks on one line, separated by "; "). Use it for long texts: the operating system limits one
          command-line argument (128 KiB on Linux, 32,767 characters for a whole Windows command line), and a longer
          --text fails in the shell ("Argument list too long") before mlnet-transfer starts.
        """;

    /// <summary>The error for a command line without a text, naming the way to pass long texts.</summary>
    public const string NoTextError = "Give --text \"...\" or --input file.txt (one text per line; --input - reads standard input). " +
                                      "Texts longer than the operating system allows in one argument (128 KiB on Linux) need --input.";

    /// <summary>Runs the verb.</summary>
    public static int Run(CliArguments args)
    {
        string modelPath = args.Required("model-file");
        string? text = args.Optional("text"), input = args.Optional("input");
        args.RejectUnknown("predict");
        if (text is null && input is null) throw new CliException(NoTextError);
        var texts = new List<string>();
        if (text is not null) texts.Add(text);
        if (input is not null) texts.AddRange(ReadInput(input));
        var mlContext = new MLContext(1);
        var (model, info) = ModelFile.Load(mlContext, modelPath);
        if (info.Task == TaggingCommand.Task) return TaggingCommand.Predict(mlContext, model, texts);
        if (info.Tasks is { } tasks)
        {
            var rows = model.Transform(mlContext.Data.LoadFromEnumerable(texts.Select(t => new TextOnlyRow { Text = t }).ToList()));
            var perTask = tasks.Select(task => Describe(rows, task.Kind, task.Name + ".").Select(d => $"{task.Name}: {d}").ToList()).ToList();
            for (int i = 0; i < texts.Count; i++)
            {
                if (input is null) foreach (var lines in perTask) Console.WriteLine(lines[i]);
                else Console.WriteLine(string.Join("; ", perTask.Select(lines => lines[i])));
            }
            return 0;
        }
        IDataView data = info.Task switch
        {
            "binary" => mlContext.Data.LoadFromEnumerable(texts.Select(t => new BinaryRow { Text = t }).ToList()),
            "multiclass" => mlContext.Data.LoadFromEnumerable(texts.Select(t => new MulticlassRow { Text = t, Label = info.Labels![0] }).ToList()),
            _ => mlContext.Data.LoadFromEnumerable(texts.Select(t => new RegressionRow { Text = t }).ToList()),
        };
        foreach (string line in Describe(model.Transform(data), info.Task, "")) Console.WriteLine(line);
        return 0;
    }

    private static IEnumerable<string> ReadInput(string input)
    {
        if (input == "-")
        {
            var lines = new List<string>();
            for (string? line = Console.In.ReadLine(); line is not null; line = Console.In.ReadLine()) lines.Add(line);
            return lines;
        }
        if (!File.Exists(input)) throw new CliException($"Input file '{input}' does not exist.");
        return File.ReadAllLines(input);
    }

    /// <summary>"label: … score: …" of every row of scored data, for the columns starting with <paramref name="prefix"/>.</summary>
    private static List<string> Describe(IDataView scored, string task, string prefix)
    {
        var results = new List<string>();
        using var cursor = scored.GetRowCursor(scored.Schema);
        T Get<T>(string column) { T value = default!; cursor.GetGetter<T>(scored.Schema[prefix + column])(ref value); return value; }
        while (cursor.MoveNext())
        {
            results.Add(task switch
            {
                "binary" => $"label: {(Get<bool>("PredictedLabel") ? 1 : 0)}  score: {Get<float>("Probability"):F4}",
                "multiclass" => $"label: {KeyName(scored.Schema[prefix + "PredictedLabel"], Get<uint>("PredictedLabel"))}  score: {Get<VBuffer<float>>("Score").DenseValues().Max():F4}",
                _ => $"score: {Get<float>("Score"):F4}",
            });
        }
        return results;
    }

    private static string KeyName(DataViewSchema.Column column, uint key)
    {
        VBuffer<ReadOnlyMemory<char>> names = default;
        column.GetKeyValues(ref names);
        return key == 0 ? "?" : names.GetItemOrDefault((int)key - 1).ToString();
    }
}
