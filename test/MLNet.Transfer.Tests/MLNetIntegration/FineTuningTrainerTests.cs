using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transfer.MLNetIntegration;
using MLNet.Transfer.Training;

namespace MLNet.Transfer.Tests.MLNetIntegration;

/// <summary>The fine-tuning trainers on real data (all-MiniLM-L6-v2) and on a tiny random model for the plumbing.</summary>
public class FineTuningTrainerTests
{
    private static FineTuneTransformerOptions RealModel(int epochs) => new() { Encoder = TestModels.MiniLm, Epochs = epochs, Seed = 1 };

    [Category("Integration")]
    [Test]
    public void BinaryFineTuningReachesNinetyPercentOnUciSentences()
    {
        // Fixed split: all three UCI sites, 20% held out (seeded). Cross-site (train yelp+amazon, test imdb) is in the README.
        var mlContext = new MLContext(seed: 1);
        var split = mlContext.Data.TrainTestSplit(TextRows.Uci(mlContext, "yelp", "amazon", "imdb"), testFraction: 0.2, seed: 1);
        var estimator = mlContext.BinaryClassification.Trainers.FineTuneTransformer(RealModel(epochs: 3));
        var model = estimator.Fit(split.TrainSet);
        var metrics = mlContext.BinaryClassification.Evaluate(model.Transform(split.TestSet));
        TestContext.Out.WriteLine($"UCI fixed split: accuracy {metrics.Accuracy:P1}, AUC {metrics.AreaUnderRocCurve:F4}, F1 {metrics.F1Score:F4}; {estimator.LastResult!.TokensPerSecond:F0} tokens/s");
        Assert.That(metrics.Accuracy, Is.GreaterThanOrEqualTo(0.90));
        Assert.That(TestModels.MiniLm.Embed(["unchanged?"])[0], Is.EqualTo(PretrainedEncoderSnapshot.Value), "the shared encoder must not be modified by fine-tuning");
    }

    [Category("Integration")]
    [Category("SharedData")]
    [Test]
    public void MulticlassFineTuningOnAgNewsWithKeyMappingAndRoundTrip()
    {
        var mlContext = new MLContext(seed: 1);
        IDataView Load(string file, int take) => mlContext.Data.LoadFromEnumerable(File.ReadLines(SharedData.Path("agnews", file)).Skip(1)
            .Select(l => l.Split('\t', 2)).Where((_, i) => i % (file == "train.tsv" ? 15 : 4) == 0).Take(take)
            .Select(p => new NewsRow { Label = p[0], Text = p[1] }).ToList());
        var train = Load("train.tsv", 400);
        var test = Load("test.tsv", 400);
        var pipeline = mlContext.Transforms.Conversion.MapValueToKey("Label")
            .Append(mlContext.MulticlassClassification.Trainers.FineTuneTransformer(RealModel(epochs: 2)))
            .Append(mlContext.Transforms.Conversion.MapKeyToValue("PredictedLabel"));
        var model = pipeline.Fit(train);
        var scored = model.Transform(test);
        var metrics = mlContext.MulticlassClassification.Evaluate(scored);
        TestContext.Out.WriteLine($"AG News (400 train): MicroAccuracy {metrics.MicroAccuracy:P1}, MacroAccuracy {metrics.MacroAccuracy:P1}");
        Assert.That(metrics.MicroAccuracy, Is.GreaterThan(0.8));
        var predicted = scored.GetColumn<string>("PredictedLabel").Take(20).ToArray();
        Assert.That(predicted.Distinct(), Is.SubsetOf(new[] { "1", "2", "3", "4" }));

        using var temp = TestModels.TempDir();
        string zip = Path.Combine(temp.Path, "news.zip");
        mlContext.Model.Save(model, train.Schema, zip);
        var fresh = new MLContext(seed: 3).RegisterTransferComponents();
        var loaded = fresh.Model.Load(zip, out _);
        Assert.That(fresh.MulticlassClassification.Evaluate(loaded.Transform(test)).MicroAccuracy, Is.EqualTo(metrics.MicroAccuracy));
        var engine = fresh.Model.CreatePredictionEngine<NewsRow, NewsPrediction>(loaded);
        Assert.That(engine.Predict(new NewsRow { Text = "The striker scored twice as the home side won the cup final." }).PredictedLabel, Is.EqualTo("2"));
    }

    [Category("Integration")]
    [Test]
    public void RegressionFineTuningBeatsPredictingTheMean()
    {
        var mlContext = new MLContext(seed: 1);
        IDataView AsRegression(IDataView data) => mlContext.Data.LoadFromEnumerable(
            mlContext.Data.CreateEnumerable<TextRow>(data, false).Select(r => new ScoreRow { Label = r.Label ? 5f : 1f, Text = r.Text }).ToList());
        var train = AsRegression(TextRows.Uci(mlContext, "yelp"));
        var test = AsRegression(TextRows.Uci(mlContext, "imdb"));
        var model = mlContext.Regression.Trainers.FineTuneTransformer(RealModel(epochs: 2)).Fit(train);
        var metrics = mlContext.Regression.Evaluate(model.Transform(test));
        TestContext.Out.WriteLine($"regression (1/5 stars from UCI labels, train yelp, test imdb): R² {metrics.RSquared:F3}, RMSE {metrics.RootMeanSquaredError:F3}");
        Assert.That(metrics.RSquared, Is.GreaterThan(0.4));
    }

    [Category("Unit")]
    [Test]
    public void TinyModelRoundTripsThroughAFreshProcessWithIdenticalScores()
    {
        using var temp = TestModels.TempDir();
        string modelDir = TestModels.TinyModelDirectory(temp.Path);
        var mlContext = new MLContext(seed: 1);
        var data = TextRows.Sample(mlContext);
        var model = mlContext.BinaryClassification.Trainers.FineTuneTransformer(new FineTuneTransformerOptions { Model = modelDir, Epochs = 1, BatchSize = 4, MaxTokens = 64 }).Fit(data);
        var expected = TextRows.Column(model.Transform(data), "Score");
        string zip = Path.Combine(temp.Path, "model.zip");
        mlContext.Model.Save(model, data.Schema, zip);
        Directory.Delete(modelDir, true);

        ChildCommands.AssertFreshProcessScores(zip, "Score", expected);
    }

    [Category("Unit")]
    [Test]
    public void MulticlassValidationDataWithTextLabelsIsMappedByName()
    {
        using var temp = TestModels.TempDir();
        var mlContext = new MLContext(seed: 1);
        var rows = Enumerable.Range(0, 12).Select(i => new NewsRow { Label = new[] { "sport", "world", "tech" }[i % 3], Text = $"text number {i}" }).ToList();
        var data = mlContext.Data.LoadFromEnumerable(rows);
        // The validation rows list the labels in another order (tech, world, sport): mapping by order instead of by name would score them wrongly.
        var reversed = mlContext.Data.LoadFromEnumerable(Enumerable.Reverse(rows).ToList());
        var options = new FineTuneTransformerOptions { Model = TestModels.TinyModelDirectory(temp.Path), Epochs = 1, BatchSize = 4, ValidationSet = reversed };
        var estimator = mlContext.MulticlassClassification.Trainers.FineTuneTransformer(options);
        var model = mlContext.Transforms.Conversion.MapValueToKey("Label").Append(estimator).Fit(data);
        var validation = estimator.LastResult!.BestValidation;
        Assert.That(validation, Is.Not.Null);
        string accuracyKey = validation!.Keys.Single(k => k.EndsWith("accuracy", StringComparison.OrdinalIgnoreCase));
        Assert.That(validation[accuracyKey], Is.EqualTo(mlContext.MulticlassClassification.Evaluate(model.Transform(data)).MicroAccuracy).Within(1e-6),
            "the trainer's validation accuracy on the reordered rows equals ML.NET's on the same rows");

        options.ValidationSet = mlContext.Data.LoadFromEnumerable([new NewsRow { Label = "finance", Text = "x" }]);
        Assert.That(() => mlContext.Transforms.Conversion.MapValueToKey("Label").Append(estimator).Fit(data),
            Throws.InstanceOf<InvalidDataException>().With.Message.Contain("'finance'").And.Message.Contain("not seen in training"));
    }

    [Category("Unit")]
    [Test]
    public void BadTrainingDataGivesClearErrors()
    {
        using var temp = TestModels.TempDir();
        string modelDir = TestModels.TinyModelDirectory(temp.Path);
        var mlContext = new MLContext(seed: 1);
        var options = new FineTuneTransformerOptions { Model = modelDir, Epochs = 1 };
        var oneClass = mlContext.Data.LoadFromEnumerable(Enumerable.Range(0, 5).Select(i => new TextRow { Label = true, Text = $"text {i}" }).ToList());
        Assert.That(() => mlContext.BinaryClassification.Trainers.FineTuneTransformer(options).Fit(oneClass),
            Throws.InstanceOf<InvalidDataException>().With.Message.Contain("only one class"));
        var empty = mlContext.Data.LoadFromEnumerable(new List<TextRow>());
        Assert.That(() => mlContext.BinaryClassification.Trainers.FineTuneTransformer(options).Fit(empty),
            Throws.InstanceOf<InvalidDataException>().With.Message.Contain("empty"));
        var nan = mlContext.Data.LoadFromEnumerable(new[] { new ScoreRow { Label = 1, Text = "a" }, new ScoreRow { Label = float.NaN, Text = "b" } });
        Assert.That(() => mlContext.Regression.Trainers.FineTuneTransformer(options).Fit(nan),
            Throws.InstanceOf<InvalidDataException>().With.Message.Contain("row 2").And.Message.Contain("NaN"));
        Assert.That(() => mlContext.MulticlassClassification.Trainers.FineTuneTransformer(options).Fit(oneClass),
            Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contain("'Label' is Boolean").And.Message.Contain("MapValueToKey"));
        Assert.That(() => mlContext.BinaryClassification.Trainers.FineTuneTransformer(new FineTuneTransformerOptions { Model = modelDir, TextColumnName = "Body" }).Fit(oneClass),
            Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contain("'Body' was not found"));
        Assert.That(() => mlContext.BinaryClassification.Trainers.FineTuneTransformer(new FineTuneTransformerOptions { Model = modelDir, LearningRate = -1 }).Fit(TextRows.Sample(mlContext)),
            Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contain("LearningRate"));
    }

    private static readonly Lazy<float[]> PretrainedEncoderSnapshotLazy = new(() => TestModels.MiniLm.Embed(["unchanged?"])[0]);
    private static class PretrainedEncoderSnapshot { public static float[] Value => PretrainedEncoderSnapshotLazy.Value; }

    [OneTimeSetUp]
    public void TakeSnapshot() => _ = PretrainedEncoderSnapshot.Value;

    public sealed class NewsRow { public string Label { get; set; } = ""; public string Text { get; set; } = ""; }
    public sealed class NewsPrediction { public string PredictedLabel { get; set; } = ""; }
    public sealed class ScoreRow { public float Label { get; set; } public string Text { get; set; } = ""; }
}
