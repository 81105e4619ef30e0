using Microsoft.ML;

namespace MLNet.Transfer.Tests.Cli;

/// <summary>evaluate and predict on ML.NET model zips not written by train: the task and columns come from the model's schema.</summary>
[NonParallelizable]
[Category("Unit")]
public class ForeignModelTests
{
    public sealed class Review
    {
        public bool Sentiment { get; set; }
        public string Text { get; set; } = "";
        public string Source { get; set; } = "";
    }

    public sealed class Prediction
    {
        public bool PredictedLabel { get; set; }
        public float Probability { get; set; }
    }

    [Test]
    public void AnyBinaryPipelineZipIsEvaluatedAndPredictedOnItsOwnColumnNames()
    {
        using var temp = TestModels.TempDir();
        var rows = File.ReadLines(RepoData.Uci("yelp")).Skip(1).Select(l => l.Split('\t'))
            .Select(f => new Review { Sentiment = f[0] == "1", Text = f[1], Source = "yelp" }).ToList();
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(rows);
        var pipeline = ml.Transforms.Text.FeaturizeText("Features", "Text")
            .Append(ml.BinaryClassification.Trainers.LbfgsLogisticRegression("Sentiment"));
        var model = pipeline.Fit(data);
        string zip = Path.Combine(temp.Path, "foreign.zip");
        ml.Model.Save(model, data.Schema, zip);
        var expected = ml.BinaryClassification.Evaluate(model.Transform(data), "Sentiment");

        // A TSV named the way the model was trained: Sentiment and Text (the extra Source input is not needed by the model).
        string tsv = Path.Combine(temp.Path, "reviews.tsv");
        File.WriteAllLines(tsv, ["Sentiment\tText", .. rows.Select(r => $"{(r.Sentiment ? 1 : 0)}\t{r.Text}")]);
        var evaluated = InProcessCli.Run("evaluate", "--model-file", zip, "--test", tsv, "--json");
        Assert.That(evaluated.Code, Is.EqualTo(0), evaluated.Err);
        using var json = System.Text.Json.JsonDocument.Parse(evaluated.Out.Trim().Split('\n')[^1]);
        Assert.That(json.RootElement.GetProperty("Accuracy").GetDouble(), Is.EqualTo(expected.Accuracy).Within(1e-9));
        Assert.That(json.RootElement.GetProperty("AreaUnderRocCurve").GetDouble(), Is.EqualTo(expected.AreaUnderRocCurve).Within(1e-9));

        const string text = "The food was great and the staff were friendly";
        var direct = ml.Model.CreatePredictionEngine<Review, Prediction>(model).Predict(new Review { Text = text });
        var predicted = InProcessCli.Run("predict", "--model-file", zip, "--text", text);
        Assert.That(predicted.Code, Is.EqualTo(0), predicted.Err);
        Assert.That(predicted.Out.Trim(), Is.EqualTo($"label: {(direct.PredictedLabel ? 1 : 0)}  score: {direct.Probability:F4}"));
    }

    [Test]
    public void AZipWithoutPredictionsIsOneClearError()
    {
        using var temp = TestModels.TempDir();
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new Review { Text = "fine" } });
        string zip = Path.Combine(temp.Path, "featurizer.zip");
        ml.Model.Save(ml.Transforms.Text.FeaturizeText("Features", "Text").Fit(data), data.Schema, zip);
        var result = InProcessCli.Run("predict", "--model-file", zip, "--text", "hi");
        Assert.That(result.Code, Is.EqualTo(2));
        Assert.That(result.Err, Does.StartWith("error: ").And.Contain("not a binary, multiclass, regression or tagging model"));
    }
}
