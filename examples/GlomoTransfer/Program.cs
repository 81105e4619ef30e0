// GLoMo-style (reduced) graph transfer, measured through the ML.NET trainer
// (mlContext.MulticlassClassification.Trainers.GraphTransfer): the same small downstream classifier (frozen MiniLM
// word-piece embeddings → [graph mixing] → BiLSTM → max pool → linear) without graphs, with random (untrained) graphs and
// with graphs from a model pretrained by `pretrain --model scratch --arch glomo`, on the same labelled samples per seed.
//
//   dotnet run --project examples/GlomoTransfer -c Release -- --glomo <dir> [--arms none,random,glomo]
//       [--tasks agnews,sst2] [--seeds 1,2,3,4,5] [--results results.jsonl] [--plot graph.png --sentence "..."]
//
// Each finished run is appended to --results as one JSON line and skipped when the program runs again.
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.ML;
using MLNet.Transfer;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.MLNetIntegration;
using MLNet.Transfer.Plots;
using MLNet.Transfer.Pretraining;

var options = Options.Parse(args);

if (options.Plot is { } plotPath)
{
    using var glomo = GlomoLanguageModel.Load(options.Glomo);
    for (int layer = 0; layer < glomo.Config.GraphLayers; layer++)
    {
        var (tokens, graph) = glomo.GraphOf(options.Sentence, layer);
        string path = layer == 0 ? plotPath : Path.ChangeExtension(plotPath, null) + $"-layer{layer + 1}.png";
        AttentionHeatmapPlot.Save(path, tokens, graph, $"GLoMo-style (reduced) graph, layer {layer + 1} (both directions, mean over heads)");
        Console.WriteLine($"wrote {path}");
    }
}

using var minilm = PretrainedEncoder.Load("minilm");
var mlContext = new MLContext(seed: 0);
var done = File.Exists(options.Results)
    ? File.ReadAllLines(options.Results).Select(l => JsonSerializer.Deserialize<RunResult>(l)!).ToList()
    : [];

foreach (var task in options.Tasks)
{
    var (train, test, classes) = Load(task);
    foreach (int seed in options.Seeds)
    {
        var sample = mlContext.Data.LoadFromEnumerable(Sample(train, classes, perClass: 64, seed)); // class by class: keys follow the class order
        var testData = mlContext.Data.LoadFromEnumerable(test.Select(t => new Row(t.Label.ToString(CultureInfo.InvariantCulture), t.Text)));
        foreach (var arm in options.Arms)
        {
            if (done.Any(r => r.Task == task && r.Arm == arm && r.Seed == seed)) continue;
            var clock = Stopwatch.StartNew();
            var graphs = arm switch { "none" => GraphSource.None, "random" => GraphSource.Random, _ => GraphSource.Pretrained };
            var trainer = mlContext.MulticlassClassification.Trainers.GraphTransfer(new GraphTransferOptions
            {
                GraphModelDirectory = options.Glomo, Graphs = graphs, Encoder = minilm, Seed = seed, // random graphs: seed 1000 + seed
            });
            var model = mlContext.Transforms.Conversion.MapValueToKey("Label").Append(trainer).Fit(sample);
            double accuracy = mlContext.MulticlassClassification.Evaluate(model.Transform(testData)).MicroAccuracy;
            model.LastTransformer.Dispose();
            var result = new RunResult(task, arm, seed, accuracy, clock.Elapsed.TotalSeconds);
            done.Add(result);
            File.AppendAllLines(options.Results, [JsonSerializer.Serialize(result)]);
            Console.WriteLine(Invariant($"{task} seed {seed} {arm,-6}: accuracy {accuracy:P2} ({result.Seconds:F0} s)"));
        }
    }
}

Console.WriteLine();
Console.WriteLine("| task | arm | seeds | accuracy mean ± sd | per seed |");
Console.WriteLine("|---|---|---|---|---|");
foreach (var group in done.Where(r => options.Tasks.Contains(r.Task)).GroupBy(r => (r.Task, r.Arm)))
{
    var values = group.OrderBy(r => r.Seed).Select(r => r.Accuracy).ToArray();
    double mean = values.Average(), sd = values.Length > 1 ? Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1)) : 0;
    Console.WriteLine(Invariant($"| {group.Key.Task} | {group.Key.Arm} | {values.Length} | {mean:P1} ± {sd * 100:F1} | {string.Join(" / ", values.Select(v => v.ToString("P1", CultureInfo.InvariantCulture)))} |"));
}
return 0;

static (List<(int Label, string Text)> Train, List<(int Label, string Text)> Test, int Classes) Load(string task)
{
    string folder = DataFiles.Find(Path.Combine("shared", "data", task == "agnews" ? "agnews" : "sst2"));
    var read = (string file) => File.ReadLines(Path.Combine(folder, file)).Skip(1).Select(l => l.Split('\t'))
        .Select(p => (Label: int.Parse(p[0], CultureInfo.InvariantCulture) - (task == "agnews" ? 1 : 0), Text: p[1])).ToList();
    return task == "agnews" ? (read("train.tsv"), read("test.tsv"), 4) : (read("train.tsv"), read("dev.tsv"), 2);
}

// The same sample as before the trainer existed: perClass texts of each class in turn, shuffled per class with the seed.
static List<Row> Sample(List<(int Label, string Text)> rows, int classes, int perClass, int seed)
{
    var random = new Random(seed);
    return Enumerable.Range(0, classes)
        .SelectMany(c => rows.Where(r => r.Label == c).OrderBy(_ => random.Next()).Take(perClass))
        .Select(p => new Row(p.Label.ToString(CultureInfo.InvariantCulture), p.Text)).ToList();
}

static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

internal sealed class Row(string label, string text)
{
    public string Label { get; set; } = label;
    public string Text { get; set; } = text;
}

internal sealed record RunResult(string Task, string Arm, int Seed, double Accuracy, double Seconds);

internal sealed record Options(string Glomo, string[] Arms, string[] Tasks, int[] Seeds, string Results, string? Plot, string Sentence)
{
    public static Options Parse(string[] args)
    {
        string? Value(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        return new Options(
            Value("--glomo") ?? throw new ArgumentException("--glomo <dir> (from `pretrain --model scratch --arch glomo`) is required."),
            (Value("--arms") ?? "none,random,glomo").Split(','),
            (Value("--tasks") ?? "agnews,sst2").Split(','),
            (Value("--seeds") ?? "1,2,3,4,5").Split(',').Select(int.Parse).ToArray(),
            Value("--results") ?? "glomo-transfer.jsonl",
            Value("--plot"),
            Value("--sentence") ?? "it 's a charming and often affecting journey .");
    }
}
