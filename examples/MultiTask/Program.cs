// MultiTask: one all-MiniLM-L6-v2 encoder fine-tuned jointly for sentiment (UCI review sentences) and irony
// (SemEval-2018 task 3A tweets), against two single-task models. Same settings for all three; ML.NET's evaluator
// on each task's test set; then the cost of serving both tasks on the same texts: one encoder pass instead of two.
// The irony set is CC BY-NC-SA and is read from ../shared/data (never copied into this repository).
using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transfer;
using MLNet.Transfer.MLNetIntegration;
using MLNet.Transfer.Models.Heads;

var mlContext = new MLContext(seed: 1);
string ironyFolder = SharedIrony.Folder();
var sentimentTrain = UciSentences.Load(mlContext, "yelp.tsv", "amazon.tsv");   // 2,000 sentences
var sentimentTest = UciSentences.Load(mlContext, "imdb.tsv");                   // 1,000 from another site
var ironyTrain = SharedIrony.Load(mlContext, Path.Combine(ironyFolder, "train.tsv")); // 3,834 tweets
var ironyTest = SharedIrony.Load(mlContext, Path.Combine(ironyFolder, "test.tsv"));   // 784 tweets
int epochs = args.Length > 0 ? int.Parse(args[0]) : 3;

T Timed<T>(string what, Func<T> work)
{
    var clock = Stopwatch.StartNew();
    var result = work();
    Console.WriteLine($"{what}: {clock.Elapsed.TotalSeconds:F0} s");
    return result;
}

FineTuneTransformerOptions Single() => new() { Epochs = epochs, Seed = 1 };
var sentimentModel = Timed("single-task sentiment", () => mlContext.BinaryClassification.Trainers.FineTuneTransformer(Single()).Fit(sentimentTrain));
var ironyModel = Timed("single-task irony", () => mlContext.BinaryClassification.Trainers.FineTuneTransformer(Single()).Fit(ironyTrain));
var joint = Timed("multi-task sentiment + irony", () => mlContext.Transforms.Text.FineTuneMultiTask(new MultiTaskFineTuneOptions
{
    Epochs = epochs, Seed = 1,
    Tasks =
    [
        new TextTaskOptions { Name = "sentiment", Kind = TaskKind.Binary, TrainingData = sentimentTrain },
        new TextTaskOptions { Name = "irony", Kind = TaskKind.Binary, TrainingData = ironyTrain },
    ],
}).Fit(sentimentTrain));

BinaryClassificationMetrics Evaluate(ITransformer model, IDataView test, string prefix = "") =>
    mlContext.BinaryClassification.Evaluate(model.Transform(test), "Label", prefix + "Score", prefix + "Probability", prefix + "PredictedLabel");
var rows = new (string Name, BinaryClassificationMetrics Single, BinaryClassificationMetrics Joint)[]
{
    ("sentiment (UCI imdb)", Evaluate(sentimentModel, sentimentTest), Evaluate(joint, sentimentTest, "sentiment.")),
    ("irony (SemEval test)", Evaluate(ironyModel, ironyTest), Evaluate(joint, ironyTest, "irony.")),
};
Console.WriteLine($"\n{"task",-22}{"single Acc",12}{"single F1",12}{"joint Acc",12}{"joint F1",12}");
foreach (var (name, single, multi) in rows)
    Console.WriteLine($"{name,-22}{single.Accuracy,12:P1}{single.F1Score,12:F4}{multi.Accuracy,12:P1}{multi.F1Score,12:F4}");

// Serving both tasks on the same 1,784 texts: two models = two encoder passes; the joint model = one.
var allTexts = mlContext.Data.LoadFromEnumerable(mlContext.Data.CreateEnumerable<Review>(sentimentTest, false)
    .Concat(mlContext.Data.CreateEnumerable<Review>(ironyTest, false)).ToList());
double Seconds(Action score) { var clock = Stopwatch.StartNew(); score(); return clock.Elapsed.TotalSeconds; }
double two = Seconds(() => { Drain(sentimentModel.Transform(allTexts), "Score"); Drain(ironyModel.Transform(allTexts), "Score"); });
double one = Seconds(() => { var scored = joint.Transform(allTexts); Drain(scored, "sentiment.Score", "irony.Score"); });
long Size(ITransformer model, string name) { mlContext.Model.Save(model, sentimentTrain.Schema, name); return new FileInfo(name).Length; }
long twoFiles = Size(sentimentModel, "sentiment.zip") + Size(ironyModel, "irony.zip"), oneFile = Size(joint, "multitask.zip");
Console.WriteLine($"\nScoring both tasks on {1784:N0} texts: two single-task models {two:F1} s, one multi-task model {one:F1} s ({two / one:F1}x).");
Console.WriteLine($"Model files: two single-task {twoFiles / 1e6:F1} MB, one multi-task {oneFile / 1e6:F1} MB.");

static void Drain(IDataView data, params string[] columns)
{
    using var cursor = data.GetRowCursor(columns.Select(c => data.Schema[c]));
    var getters = columns.Select(c => cursor.GetGetter<float>(data.Schema[c])).ToArray();
    float value = 0;
    while (cursor.MoveNext()) foreach (var get in getters) get(ref value);
}

/// <summary>The SemEval-2018 irony set from ../shared/data (its licence forbids copying it into the repository).</summary>
static class SharedIrony
{
    public static string Folder() => DataFiles.Find(Path.Combine("shared", "data", "irony-semeval2018"));

    public static IDataView Load(MLContext mlContext, string path) => mlContext.Data.LoadFromEnumerable(File.ReadLines(path).Skip(1)
        .Select(line => line.Split('\t', 2)).Select(p => new Review { Label = p[0] == "1", Text = p[1] }).ToList());
}
