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

    /// <summary>
    /// The earlier release's multiclass zip was fitted on rows with a Boolean Label next to the string Topic it learned:
    /// the CLI must take Topic as the label (the Boolean does not fit a multiclass task) and give the saved predictions.
    /// </summary>
    [Test]
    public void APipelineFittedOnAWiderRowPredictsAndEvaluatesOnTheColumnItLearned()
    {
        using var temp = TestModels.TempDir();
        string zip = RepositoryFiles.Path("test", "fixtures", "saved-models", "multiclass.zip");
        var expected = System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, Dictionary<string, float[][]>>>(
            File.ReadAllText(RepositoryFiles.Path("test", "fixtures", "saved-models", "expected.json")))!["multiclass.zip"]["PredictedLabel"];
        var ml = new MLContext(seed: 1);
        var rows = ml.Data.CreateEnumerable<MLNetIntegration.SavedModelFixture.TextRow>(MLNetIntegration.SavedModelFixture.TextRows(ml), reuseRowObject: false).ToList();
        string[] topics = ["praise", "complaint", "other"]; // key order: first appearance in the fitted rows

        string texts = Path.Combine(temp.Path, "texts.txt");
        File.WriteAllLines(texts, rows.Select(r => r.Text));
        var predicted = InProcessCli.Run("predict", "--model-file", zip, "--input", texts, "--json");
        Assert.That(predicted.Code, Is.EqualTo(0), predicted.Err);
        var labels = predicted.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => System.Text.Json.JsonDocument.Parse(line).RootElement.GetProperty("PredictedLabel").GetString()).ToArray();
        Assert.That(labels, Is.EqualTo(expected.Select(k => topics[(int)k[0] - 1]).ToArray()));

        string tsv = Path.Combine(temp.Path, "test.tsv");
        File.WriteAllLines(tsv, ["Text\tTopic", .. rows.Select(r => $"{r.Text}\t{r.Topic}")]);
        var evaluated = InProcessCli.Run("evaluate", "--model-file", zip, "--test", tsv, "--json");
        Assert.That(evaluated.Code, Is.EqualTo(0), evaluated.Err);
        double accuracy = rows.Zip(labels).Count(p => p.First.Topic == p.Second) / (double)rows.Count;
        Assert.That(System.Text.Json.JsonDocument.Parse(evaluated.Out).RootElement.GetProperty("MicroAccuracy").GetDouble(), Is.EqualTo(accuracy).Within(1e-9));
    }

    /// <summary>A foreign tagger's tag names come from its PredictedLabel key values, so evaluate reads a CoNLL file against them.</summary>
    [Test]
    public void AForeignTaggerIsEvaluatedWithItsOwnTagNames()
    {
        using var temp = TestModels.TempDir();
        string zip = RepositoryFiles.Path("test", "fixtures", "saved-models", "tagger.zip"), conll = Path.Combine(temp.Path, "test.conll");
        File.WriteAllLines(conll, ["we\tO", "met\tO", "bob\tB-person", "in\tO", "london\tB-location", ""]);
        var result = InProcessCli.Run("evaluate", "--model-file", zip, "--test", conll, "--json");
        Assert.That(result.Code, Is.EqualTo(0), result.Err);
        // expected.json's saved prediction for this sentence is keys 3 1 2 1 2: O at "met" and "in", and of "bob"/"london"
        // exactly one right whichever of keys 2 and 3 is B-person — 3 of 5 tokens.
        Assert.That(System.Text.Json.JsonDocument.Parse(result.Out).RootElement.GetProperty("TokenAccuracy").GetDouble(), Is.EqualTo(0.6).Within(1e-9));
    }
}
