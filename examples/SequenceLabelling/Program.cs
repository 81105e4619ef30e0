// SequenceLabelling: named entities (WNUT-17) and part-of-speech tags (UD English Web Treebank) with one pretrained
// encoder, three ways — fine-tuned, frozen features + BiLSTM (the ELMo route), and the same fine-tuning from randomly
// initialised weights (the no-transfer baseline) — scored with the entity-level / token evaluator.
// Data come from ../shared/data (not redistributed). Usage: dotnet run -c Release --project examples/SequenceLabelling
//   [-- --epochs N] [--only ner|pos] [--seeds 1,2,3]. Timings are wall-clock on whatever else the machine is running.
// With several seeds (training seed and random-init seed; the data split stays fixed) a last table gives each
// approach's mean and standard deviation.
using System.Diagnostics;
using Microsoft.ML;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.MLNetIntegration;
using MLNet.Transfer.Text.Tagging;

string? Option(string name) => Array.IndexOf(args, name) is int i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
int epochs = int.Parse(Option("--epochs") ?? "3");
string only = Option("--only") ?? "all";
int[] seeds = [.. (Option("--seeds") ?? "1").Split(',').Select(int.Parse)];
var ml = new MLContext(seed: 1);
using var pretrained = PretrainedEncoder.Load("minilm");
var rows = new List<string>();
var scores = new List<(string Data, string Approach, double F1, double TokenAccuracy)>();

if (only is "all" or "ner")
{
    var train = ConllReader.ReadFile(DataFiles.Find(Path.Combine("shared", "data", "ner-wnut17", "train.conll")));
    var test = ConllReader.ReadFile(DataFiles.Find(Path.Combine("shared", "data", "ner-wnut17", "dev.conll")));
    Compare("WNUT-17 NER (dev)", train, test);
}
if (only is "all" or "pos")
{
    // The shared UD EWT file is one set: a seeded 80/20 split of its sentences.
    var all = ConllReader.ReadFile(DataFiles.Find(Path.Combine("shared", "data", "pos-ud-ewt", "train.conll")));
    var shuffled = new Random(42);
    int[] order = [.. Enumerable.Range(0, all.Count).OrderBy(_ => shuffled.Next())];
    int testCount = all.Count / 5;
    Compare("UD EWT UPOS (20% of the file)", [.. order.Skip(testCount).Select(i => all[i])], [.. order.Take(testCount).Select(i => all[i])]);
}

Console.WriteLine();
Console.WriteLine($"| data | approach | seed | P | R | F1 | token accuracy | seconds |");
Console.WriteLine($"|---|---|---|---|---|---|---|---|");
foreach (var row in rows) Console.WriteLine(row);
if (seeds.Length > 1)
{
    Console.WriteLine();
    Console.WriteLine($"| data | approach | F1 mean ± sd ({seeds.Length} seeds) | token accuracy mean ± sd |");
    Console.WriteLine($"|---|---|---|---|");
    foreach (var group in scores.GroupBy(s => (s.Data, s.Approach)))
        Console.WriteLine($"| {group.Key.Data} | {group.Key.Approach} | {MeanSd(group.Select(g => g.F1))} | {MeanSd(group.Select(g => g.TokenAccuracy))} |");
}

static string MeanSd(IEnumerable<double> values)
{
    var v = values.ToArray();
    double mean = v.Average(), sd = Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / Math.Max(1, v.Length - 1));
    return $"{mean:F3} ± {sd:F3}";
}

void Compare(string data, IReadOnlyList<TaggedSentence> train, IReadOnlyList<TaggedSentence> test)
{
    // 10% of the training sentences (seeded) choose the best epoch, as the CLI does.
    var pick = new Random(1);
    var held = train.Select((s, i) => (s, r: pick.NextDouble())).ToList();
    var fit = ml.Data.LoadFromTaggedSentences(held.Where(p => p.r >= 0.1).Select(p => p.s));
    var valid = ml.Data.LoadFromTaggedSentences(held.Where(p => p.r < 0.1).Select(p => p.s));
    var testData = ml.Data.LoadFromTaggedSentences(test);
    foreach (int seed in seeds)
    {
        using var random = pretrained.WithRandomWeights(seed);
        Run(data, "fine-tuned all-MiniLM-L6-v2", seed, new TokenClassifierOptions { Encoder = pretrained, Epochs = epochs, Seed = seed, ValidationSet = valid }, fit, testData);
        Run(data, "frozen features + BiLSTM (ELMo route)", seed, new TokenClassifierOptions { Encoder = pretrained, FreezeEncoder = true, Epochs = epochs, Seed = seed, ValidationSet = valid }, fit, testData);
        Run(data, "same fine-tuning from random weights", seed, new TokenClassifierOptions { Encoder = random, Epochs = epochs, Seed = seed, ValidationSet = valid }, fit, testData);
    }
}

void Run(string data, string approach, int seed, TokenClassifierOptions options, IDataView train, IDataView test)
{
    Console.WriteLine($"\n== {data}: {approach} ({epochs} epochs, seed {seed})");
    var clock = Stopwatch.StartNew();
    var model = ml.MulticlassClassification.Trainers.FineTuneTokenClassifier(options).Fit(train);
    var m = ml.MulticlassClassification.EvaluateTokenClassification(model.Transform(test));
    Console.WriteLine(m.ToTable());
    rows.Add($"| {data} | {approach} | {seed} | {m.Precision:F3} | {m.Recall:F3} | {m.F1Score:F3} | {m.TokenAccuracy:F3} | {clock.Elapsed.TotalSeconds:F0} |");
    scores.Add((data, approach, m.F1Score, m.TokenAccuracy));
}
