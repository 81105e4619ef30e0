// QuickStart: fine-tune all-MiniLM-L6-v2 (embedded, no download) on UCI review sentences and compare it with
// ML.NET's classic FeaturizeText + SDCA baseline, both evaluated with ML.NET's own evaluator on a held-out site.
using System.Diagnostics;
using Microsoft.ML;
using MLNet.Transfer.Training;
using MLNet.Transfer.MLNetIntegration;
using TorchSharp;

var mlContext = new MLContext(seed: 1);
IDataView Load(params string[] files) => UciSentences.Load(mlContext, files);

var train = Load("yelp.tsv", "amazon.tsv");   // 2,000 sentences
var test = Load("imdb.tsv");                   // 1,000 sentences from another site
Console.WriteLine($"LibTorch {torch.__version__}, {torch.get_num_threads()} threads");
Console.WriteLine("Train: UCI yelp + amazon (2,000 sentences). Test: UCI imdb (1,000 sentences).\n");

var clock = Stopwatch.StartNew();
var baseline = mlContext.Transforms.Text.FeaturizeText("Features", "Text")
    .Append(mlContext.BinaryClassification.Trainers.SdcaLogisticRegression())
    .Fit(train);
var baselineMetrics = mlContext.BinaryClassification.Evaluate(baseline.Transform(test));
Console.WriteLine($"Baseline FeaturizeText + SDCA trained in {clock.Elapsed.TotalSeconds:F1} s");

clock.Restart();
var fineTune = mlContext.BinaryClassification.Trainers.FineTuneTransformer(new FineTuneTransformerOptions
{
    Model = "minilm", Epochs = 3, LearningRate = 1e-4, BatchSize = 32, MaxTokens = 128, Seed = 1,
    Progress = new Progress<TrainingProgress>(p =>
    {
        if (p.Step % 20 == 0 || p.Step == p.TotalSteps)
            Console.WriteLine($"  epoch {p.Epoch}/{p.Epochs} step {p.Step,4}/{p.TotalSteps} loss {p.Loss:F4} {p.TokensPerSecond,6:F0} tokens/s eta {p.Eta:mm\\:ss}");
    }),
});
var model = fineTune.Fit(train);
var metrics = mlContext.BinaryClassification.Evaluate(model.Transform(test));
Console.WriteLine($"Fine-tuned all-MiniLM-L6-v2 in {clock.Elapsed.TotalSeconds:F1} s\n");

Console.WriteLine($"{"metric (imdb test)",-22}{"FeaturizeText+SDCA",20}{"fine-tuned MiniLM",20}");
Console.WriteLine($"{"Accuracy",-22}{baselineMetrics.Accuracy,20:P1}{metrics.Accuracy,20:P1}");
Console.WriteLine($"{"AreaUnderRocCurve",-22}{baselineMetrics.AreaUnderRocCurve,20:F4}{metrics.AreaUnderRocCurve,20:F4}");
Console.WriteLine($"{"F1Score",-22}{baselineMetrics.F1Score,20:F4}{metrics.F1Score,20:F4}");

mlContext.Model.Save(model, train.Schema, "sentiment-minilm.zip");
Console.WriteLine($"\nSaved sentiment-minilm.zip ({new FileInfo("sentiment-minilm.zip").Length / 1e6:F0} MB, self-contained).");
