using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transfer.MLNetIntegration;
using MLNet.Transfer.Models.Heads;

namespace MLNet.Transfer.Tests.MLNetIntegration;

/// <summary>Multi-task and multi-label fine-tuning through ML.NET, on a tiny random model (plumbing, columns, persistence).</summary>
[Category("Unit")]
public class MultiTaskTransformerTests
{
    public sealed class ReviewRow
    {
        public string Text { get; set; } = "";
        public float Sentiment { get; set; } = float.NaN;  // binary, NaN = not labelled
        public string Topic { get; set; } = "";            // multiclass text, empty = not labelled
    }

    public sealed class RatedRow
    {
        public string Text { get; set; } = "";
        public float Stars { get; set; }
    }

    public sealed class TaggedRow
    {
        public string Text { get; set; } = "";
        [VectorType(3)] public bool[] Tags { get; set; } = new bool[3];
    }

    private static readonly string[] Topics = ["food", "film", "phone"];

    private static IDataView Reviews(MLContext mlContext) => mlContext.Data.LoadFromEnumerable(Enumerable.Range(0, 24).Select(i => new ReviewRow
    {
        Text = $"{Topics[i % 3]} review number {i} was {(i % 2 == 0 ? "great" : "awful")}",
        Sentiment = i % 4 == 3 ? float.NaN : i % 2 == 0 ? 1 : 0,
        Topic = i % 5 == 4 ? "" : Topics[i % 3],
    }).ToList());

    private static MultiTaskFineTuneOptions Options(string modelDir, MLContext mlContext) => new()
    {
        Model = modelDir, Epochs = 1, BatchSize = 4, MaxTokens = 32,
        Tasks =
        [
            new TextTaskOptions { Name = "sentiment", Kind = TaskKind.Binary, LabelColumnName = "Sentiment" },
            new TextTaskOptions { Name = "topic", Kind = TaskKind.Multiclass, LabelColumnName = "Topic", LossWeight = 0.5 },
            new TextTaskOptions
            {
                Name = "stars", Kind = TaskKind.Regression, LabelColumnName = "Stars",
                TrainingData = mlContext.Data.LoadFromEnumerable(Enumerable.Range(0, 10).Select(i => new RatedRow { Text = $"rated {i}", Stars = i % 5 + 1 }).ToList()),
            },
        ],
    };

    [Test]
    public void EachTaskGetsItsStandardColumnsAndSurvivesSaveAndLoadInAFreshProcess()
    {
        using var temp = TestModels.TempDir();
        var mlContext = new MLContext(seed: 1);
        var data = Reviews(mlContext);
        var estimator = mlContext.Transforms.Text.FineTuneMultiTask(Options(TestModels.TinyModelDirectory(temp.Path), mlContext));
        var model = estimator.Fit(data);
        var scored = model.Transform(data);

        var schema = scored.Schema;
        Assert.That(schema["sentiment.Probability"].Type, Is.EqualTo(NumberDataViewType.Single));
        Assert.That(schema["sentiment.PredictedLabel"].Type, Is.EqualTo(BooleanDataViewType.Instance));
        Assert.That(schema["topic.Score"].Type, Is.EqualTo(new VectorDataViewType(NumberDataViewType.Single, 3)));
        VBuffer<ReadOnlyMemory<char>> keys = default;
        schema["topic.PredictedLabel"].GetKeyValues(ref keys);
        Assert.That(keys.DenseValues().Select(k => k.ToString()), Is.EqualTo(new[] { "film", "food", "phone" }));
        Assert.That(schema["stars.Score"].Type, Is.EqualTo(NumberDataViewType.Single));
        Assert.That(estimator.GetOutputSchema(SchemaShapes.FromSchema(data.Schema)).Select(c => c.Name),
            Is.SupersetOf(schema.Select(c => c.Name).Where(n => n.Contains('.'))));

        // Each task evaluates with the standard evaluator on its labelled rows.
        var labelled = mlContext.Data.FilterRowsByMissingValues(scored, "Sentiment");
        var binary = mlContext.BinaryClassification.Evaluate(
            mlContext.Transforms.Conversion.ConvertType("SentimentBool", "Sentiment", DataKind.Boolean).Fit(labelled).Transform(labelled),
            labelColumnName: "SentimentBool", scoreColumnName: "sentiment.Score", probabilityColumnName: "sentiment.Probability", predictedLabelColumnName: "sentiment.PredictedLabel");
        var labels = labelled.GetColumn<float>("Sentiment").ToArray();
        var predicted = labelled.GetColumn<bool>("sentiment.PredictedLabel").ToArray();
        Assert.That(labels, Has.Length.EqualTo(18), "the 18 of 24 rows with a sentiment label (every 4th is unlabelled)");
        Assert.That(binary.ConfusionMatrix.Counts.Sum(row => row.Sum()), Is.EqualTo(18), "the evaluator saw exactly the labelled rows");
        Assert.That(binary.Accuracy, Is.EqualTo(labels.Zip(predicted).Count(p => p.First == 1 == p.Second) / 18.0).Within(1e-9),
            "accuracy of the sentiment head's own predictions");

        string zip = Path.Combine(temp.Path, "multitask.zip");
        mlContext.Model.Save(model, data.Schema, zip);
        foreach (var column in new[] { "sentiment.Score", "topic.Score", "stars.Score" })
            ChildCommands.AssertFreshProcessScores(zip, column, TextRows.Column(model.Transform(TextRows.Sample(mlContext)), column));
    }

    [Test]
    public void MultiLabelTrainerAddsOneSlotPerLabelAndRoundTrips()
    {
        using var temp = TestModels.TempDir();
        var mlContext = new MLContext(seed: 1);
        var rows = Enumerable.Range(0, 16).Select(i => new TaggedRow { Text = $"text {i}", Tags = [i % 2 == 0, i % 3 == 0, i % 4 == 0] }).ToList();
        var data = mlContext.Data.LoadFromEnumerable(rows);
        var options = new FineTuneTransformerOptions { Model = TestModels.TinyModelDirectory(temp.Path), LabelColumnName = "Tags", Epochs = 1, BatchSize = 4 };
        var model = mlContext.MulticlassClassification.Trainers.FineTuneMultiLabel(options).Fit(data);
        var scored = model.Transform(data);
        Assert.That(scored.Schema["PredictedLabel"].Type, Is.EqualTo(new VectorDataViewType(BooleanDataViewType.Instance, 3)));
        var probabilities = scored.GetColumn<float[]>("Probability").ToArray();
        var logits = scored.GetColumn<float[]>("Score").ToArray();
        Assert.That(probabilities[0], Is.EqualTo(logits[0].Select(l => 1 / (1 + MathF.Exp(-l)))).Within(1e-6));

        string zip = Path.Combine(temp.Path, "tags.zip");
        mlContext.Model.Save(model, data.Schema, zip);
        ChildCommands.AssertFreshProcessScores(zip, "Score", TextRows.Column(model.Transform(TextRows.Sample(mlContext)), "Score"));
    }

    [Test]
    public void BadTasksGiveClearErrors()
    {
        using var temp = TestModels.TempDir();
        var mlContext = new MLContext(seed: 1);
        string modelDir = TestModels.TinyModelDirectory(temp.Path);
        var data = Reviews(mlContext);
        Assert.That(() => mlContext.Transforms.Text.FineTuneMultiTask(new MultiTaskFineTuneOptions()),
            Throws.ArgumentException.With.Message.Contain("at least one task"));
        var twice = new MultiTaskFineTuneOptions { Tasks = [new() { Name = "a", LabelColumnName = "Sentiment" }, new() { Name = "a", LabelColumnName = "Sentiment" }] };
        Assert.That(() => mlContext.Transforms.Text.FineTuneMultiTask(twice), Throws.ArgumentException.With.Message.Contain("'a' is used twice"));
        var missing = new MultiTaskFineTuneOptions { Model = modelDir, Tasks = [new() { Name = "irony", LabelColumnName = "Irony" }] };
        Assert.That(() => mlContext.Transforms.Text.FineTuneMultiTask(missing).GetOutputSchema(SchemaShapes.FromSchema(data.Schema)),
            Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contain("'Irony'").And.Message.Contain("task 'irony'"));
        var unlabelled = mlContext.Data.LoadFromEnumerable(new[] { new ReviewRow { Text = "x", Topic = "food" }, new ReviewRow { Text = "y", Topic = "film" } });
        var options = Options(modelDir, mlContext);
        Assert.That(() => mlContext.Transforms.Text.FineTuneMultiTask(options).Fit(unlabelled),
            Throws.InstanceOf<InvalidDataException>().With.Message.Contain("'Sentiment' (task 'sentiment') has no labelled rows"));
        options.EarlyStoppingTask = "sarcasm";
        Assert.That(() => mlContext.Transforms.Text.FineTuneMultiTask(options).Fit(data),
            Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contain("sarcasm"));
    }
}
