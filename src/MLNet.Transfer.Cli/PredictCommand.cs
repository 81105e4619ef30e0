using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.Transfer.Cli;

/// <summary><c>predict</c>: label and score for one text, or for each line of a file or of standard input.</summary>
public static class PredictCommand
{
    /// <summary>The verb's definition: usage, options and notes.</summary>
    public static CliVerb Verb { get; } = new("predict", "label and score for a text (or each line of --input)",
        """
        mlnet-transfer predict --model-file model.zip (--text "..." | --input file.txt) [--json] [--engine auto|onnxruntime|libtorch]
                               [--device cpu|cuda[:N]]
        mlnet-transfer predict --model-file m.zip (--text "..." | --input file.txt) [--json] [--engine auto|onnxruntime|libtorch]    (a tagger)
        """,
        [
            CliOption.Value("model-file", "model.zip", "The model: one written by train, or any ML.NET model zip saved with mlContext.Model.Save (the task is read from its outputs)."),
            CliOption.Value("text", "\"...\"", "A text to score."),
            CliOption.Value("input", "file.txt",
                "Reads one text per line (\"-\" reads standard input) and prints one result per line (multi-task: the tasks on one line, "
                + "separated by \"; \"). Use it for long texts: the operating system limits one command-line argument (128 KiB on Linux, "
                + "32,767 characters for a whole Windows command line), and a longer --text fails in the shell (\"Argument list too long\") "
                + "before mlnet-transfer starts."),
            CliOption.Flag("json",
                "One JSON object per text and line, with the text and the ML.NET output columns (binary: PredictedLabel, Score, Probability; "
                + "multiclass: PredictedLabel and Score, the class probabilities by name; regression: Score; multi-task: the same prefixed "
                + "\"<task>.\"; tagging: Tokens, PredictedLabel, Score per word)."),
            EngineOption.ForSavedModel,
            DeviceOption.ForSavedModel,
        ],
        [
            "Prints the predicted label and its score (binary: probability of the positive class; multiclass: the class probability; "
            + "regression: the predicted value). Multi-task models print one line per task.",
            "A tagger splits the text on whitespace and prints each word with its tag (word<TAB>tag, one per line; a blank line between "
            + "texts). --json: one object per text with \"text\", Tokens, PredictedLabel (the tags) and Score.",
        ],
        Run);

    /// <summary>The error for a command line without a text, naming the way to pass long texts.</summary>
    public const string NoTextError = "Give --text \"...\" or --input file.txt (one text per line; --input - reads standard input). " +
                                      "Texts longer than the operating system allows in one argument (128 KiB on Linux) need --input.";

    /// <summary>
    /// Lines scored per batch: --input is streamed, so memory stays flat on any file size and the first results appear
    /// after the first batch; big enough that the model's own length-bucketed batching stays efficient.
    /// </summary>
    public const int LinesPerBatch = 512;

    /// <summary>Runs the verb.</summary>
    public static int Run(CliArguments args)
    {
        string modelPath = args.Required("model-file");
        string? text = args.Optional("text"), input = args.Optional("input");
        bool json = args.Flag("json");
        var engine = EngineOption.Read(args);
        string device = DeviceOption.Read(args);
        args.RejectUnused();
        if (text is null && input is null) throw new CliException(NoTextError);
        if (input is not null and not "-" && !File.Exists(input)) throw new CliException($"Input file '{input}' does not exist.");
        var mlContext = new MLContext(1);
        var (loaded, info) = ModelFile.Load(mlContext, modelPath);
        var model = EngineOption.Apply(mlContext, DeviceOption.Apply(mlContext, loaded, device), engine);
        IEnumerable<string> texts = text is null ? [] : [text];
        if (input is not null) texts = texts.Concat(ReadInput(input));
        int batchIndex = 0;
        foreach (var batch in texts.Chunk(LinesPerBatch))
        {
            if (info.Task == TaggingCommand.Task) TaggingCommand.Predict(mlContext, model, batch, json, continuing: batchIndex > 0);
            else if (info.Task == MultipleChoiceCommand.Task) MultipleChoiceCommand.Predict(mlContext, model, info, batch, json);
            else Predict(mlContext, model, info, batch, json, oneLinePerText: input is not null);
            batchIndex++;
        }
        return 0;
    }

    /// <summary>Scores one batch of texts and prints its results in input order.</summary>
    private static void Predict(MLContext mlContext, ITransformer model, ModelInfo info, IReadOnlyList<string> texts, bool json, bool oneLinePerText)
    {
        if (info.Tasks is { } tasks)
        {
            var rows = model.Transform(tasks.Any(t => t.Kind == TaggingCommand.Task)
                ? mlContext.Data.LoadFromEnumerable(texts.Select(t => new TextAndWordsRow { Text = t, Tokens = t.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries) }).ToList())
                : mlContext.Data.LoadFromEnumerable(texts.Select(t => new TextOnlyRow { Text = t }).ToList()));
            if (json)
            {
                WriteJson(texts, tasks.Select(task => Columns(rows, task.Kind, task.Name + ".")).ToList());
                return;
            }
            var perTask = tasks.Select(task => Columns(rows, task.Kind, task.Name + ".").Select(r => $"{task.Name}: {Describe(r, task.Kind, task.Name + ".")}").ToList()).ToList();
            for (int i = 0; i < texts.Count; i++)
            {
                if (!oneLinePerText) foreach (var lines in perTask) Console.WriteLine(lines[i]);
                else Console.WriteLine(string.Join("; ", perTask.Select(lines => lines[i])));
            }
            return;
        }
        IDataView data = info.Task switch
        {
            "binary" => mlContext.Data.LoadFromEnumerable(texts.Select(t => new BinaryRow { Text = t }).ToList()),
            "multiclass" => mlContext.Data.LoadFromEnumerable(texts.Select(t => new MulticlassRow { Text = t, Label = info.Labels![0] }).ToList()),
            _ => mlContext.Data.LoadFromEnumerable(texts.Select(t => new RegressionRow { Text = t }).ToList()),
        };
        var outputs = Columns(model.Transform(data), info.Task, "");
        if (json) WriteJson(texts, [outputs]);
        else foreach (var row in outputs) Console.WriteLine(Describe(row, info.Task, ""));
    }

    /// <summary>One JSON object per text: "text" and the output columns of every task, in input order.</summary>
    private static void WriteJson(IReadOnlyList<string> texts, IReadOnlyList<List<Dictionary<string, object>>> perTask)
    {
        for (int i = 0; i < texts.Count; i++)
        {
            var row = new Dictionary<string, object> { ["text"] = texts[i] };
            foreach (var task in perTask)
                foreach (var (key, value) in task[i]) row[key] = value;
            Console.WriteLine(JsonSerializer.Serialize(row));
        }
    }

    /// <summary>The ML.NET output columns of every scored row (names prefixed with <paramref name="prefix"/>), as JSON-ready values.</summary>
    private static List<Dictionary<string, object>> Columns(IDataView scored, string task, string prefix)
    {
        var rows = new List<Dictionary<string, object>>();
        using var cursor = scored.GetRowCursor(scored.Schema);
        T Get<T>(string column, bool prefixed = true) { T value = default!; cursor.GetGetter<T>(scored.Schema[(prefixed ? prefix : "") + column])(ref value); return value; }
        string[] classes = task is "multiclass" or TaggingCommand.Task ? KeyColumns.Names(scored.Schema[prefix + "PredictedLabel"]) : [];
        while (cursor.MoveNext())
        {
            rows.Add(task switch
            {
                "binary" => new() { [prefix + "PredictedLabel"] = Get<bool>("PredictedLabel"), [prefix + "Score"] = Get<float>("Score"), [prefix + "Probability"] = Get<float>("Probability") },
                "multiclass" => new()
                {
                    [prefix + "PredictedLabel"] = KeyColumns.Name(classes, Get<uint>("PredictedLabel")),
                    [prefix + "Score"] = Get<VBuffer<float>>("Score").DenseValues().Select((p, c) => (p, c)).ToDictionary(x => classes[x.c], x => x.p),
                },
                TaggingCommand.Task => new()
                {
                    ["Tokens"] = Get<VBuffer<ReadOnlyMemory<char>>>("Tokens", prefixed: false).DenseValues().Select(w => w.ToString()).ToArray(),
                    [prefix + "PredictedLabel"] = Get<VBuffer<uint>>("PredictedLabel").DenseValues().Select(k => KeyColumns.Name(classes, k)).ToArray(),
                    [prefix + "Score"] = Get<VBuffer<float>>("Score").DenseValues().ToArray(),
                },
                _ => new() { [prefix + "Score"] = Get<float>("Score") },
            });
        }
        return rows;
    }

    /// <summary>"label: … score: …" of one row of <see cref="Columns"/> (binary: the probability of the positive class; multiclass: the predicted class's probability).</summary>
    private static string Describe(Dictionary<string, object> row, string task, string prefix) => task switch
    {
        "binary" => $"label: {((bool)row[prefix + "PredictedLabel"] ? 1 : 0)}  score: {(float)row[prefix + "Probability"]:F4}",
        "multiclass" => $"label: {row[prefix + "PredictedLabel"]}  score: {((Dictionary<string, float>)row[prefix + "Score"]).Values.Max():F4}",
        TaggingCommand.Task => string.Join(' ', ((string[])row[prefix + "PredictedLabel"]).Zip((string[])row["Tokens"], (tag, word) => $"{word}/{tag}")),
        _ => $"score: {(float)row[prefix + "Score"]:F4}",
    };

    /// <summary>The lines of <paramref name="input"/> ("-": standard input), read lazily.</summary>
    private static IEnumerable<string> ReadInput(string input)
    {
        if (input != "-")
        {
            foreach (string line in File.ReadLines(input)) yield return line;
            yield break;
        }
        for (string? line = Console.In.ReadLine(); line is not null; line = Console.In.ReadLine()) yield return line;
    }

}
