using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.MLNetIntegration;

namespace MLNet.Transfer.Tests.MLNetIntegration;

public class ContextualEmbeddingTests
{
    [Category("Integration")]
    [Test]
    public void EmbeddingsPlusLogisticRegressionBeatFeaturizeTextOnUciSentences()
    {
        var mlContext = new MLContext(seed: 1);
        var train = TextRows.Uci(mlContext, "yelp", "amazon");
        var test = TextRows.Uci(mlContext, "imdb");
        var embeddings = mlContext.Transforms.Text.ApplyContextualEmbeddings(new ContextualEmbeddingOptions { Encoder = TestModels.MiniLm, OutputColumnName = "Features", Normalize = true })
            .AppendCacheCheckpoint(mlContext)
            .Append(mlContext.BinaryClassification.Trainers.LbfgsLogisticRegression());
        var baseline = mlContext.Transforms.Text.FeaturizeText("Features", "Text")
            .Append(mlContext.BinaryClassification.Trainers.LbfgsLogisticRegression());
        var ours = mlContext.BinaryClassification.Evaluate(embeddings.Fit(train).Transform(test));
        var classic = mlContext.BinaryClassification.Evaluate(baseline.Fit(train).Transform(test));
        TestContext.Out.WriteLine($"imdb accuracy: embeddings {ours.Accuracy:P1}, FeaturizeText {classic.Accuracy:P1}");
        Assert.That(ours.Accuracy, Is.GreaterThanOrEqualTo(0.85));
        Assert.That(ours.Accuracy - classic.Accuracy, Is.GreaterThanOrEqualTo(0.05));
    }

    [Category("Integration")]
    [Test]
    public void CrossValidateWorksWithTheFeaturizer()
    {
        var mlContext = new MLContext(seed: 1);
        var data = mlContext.Data.TakeRows(TextRows.Uci(mlContext, "yelp"), 300);
        var pipeline = mlContext.Transforms.Text.ApplyContextualEmbeddings(new ContextualEmbeddingOptions { Encoder = TestModels.MiniLm })
            .AppendCacheCheckpoint(mlContext)
            .Append(mlContext.BinaryClassification.Trainers.SdcaLogisticRegression());
        var folds = mlContext.BinaryClassification.CrossValidate(data, pipeline, numberOfFolds: 3);
        Assert.That(folds, Has.Count.EqualTo(3));
        Assert.That(folds.Average(f => f.Metrics.Accuracy), Is.GreaterThan(0.75));
    }

    [Category("Unit")]
    [Test]
    public void SavedPipelineIsSelfContainedAndScoresIdenticallyInAFreshContextAndProcess()
    {
        using var temp = TestModels.TempDir();
        string modelDir = TestModels.TinyModelDirectory(temp.Path);
        var mlContext = new MLContext(seed: 1);
        var data = TextRows.Sample(mlContext);
        var model = mlContext.Transforms.Text.ApplyContextualEmbeddings(new ContextualEmbeddingOptions { Model = modelDir, Layers = [0, -1], Combination = LayerCombination.Concatenate })
            .Fit(data);
        var expected = TextRows.Column(model.Transform(data), "Features");
        string zip = Path.Combine(temp.Path, "model.zip");
        mlContext.Model.Save(model, data.Schema, zip);
        Directory.Delete(modelDir, true); // the zip must not need the directory

        var fresh = new MLContext(seed: 2).RegisterTransferComponents();
        var loaded = fresh.Model.Load(zip, out var schema);
        Assert.That(TextRows.Column(loaded.Transform(TextRows.Sample(fresh)), "Features"), Is.EqualTo(expected));
        Assert.That(loaded.GetOutputSchema(schema)["Features"].Type, Is.EqualTo(new VectorDataViewType(NumberDataViewType.Single, 64)));

        ChildCommands.AssertFreshProcessScores(zip, "Features", expected);
    }

    [Category("Integration")]
    [Test]
    public void PredictionEngineGivesTheSameVectorsAsBatchedTransform()
    {
        var mlContext = new MLContext(seed: 1);
        var data = TextRows.Sample(mlContext);
        var model = mlContext.Transforms.Text.ApplyContextualEmbeddings(new ContextualEmbeddingOptions { Encoder = TestModels.MiniLm, Normalize = true }).Fit(data);
        var batched = TextRows.Column(model.Transform(data), "Features");
        var engine = mlContext.Model.CreatePredictionEngine<TextRow, EmbeddingRow>(model);
        for (int i = 0; i < TextRows.SampleTexts.Length; i++)
        {
            var vector = engine.Predict(new TextRow { Text = TextRows.SampleTexts[i] }).Features;
            Assert.That(vector, Has.Length.EqualTo(384));
            Assert.That(vector.All(float.IsFinite), Is.True);
            var expected = batched[i].Split(' ').Select(float.Parse).ToArray();
            Assert.That(vector, Is.EqualTo(expected).Within(1e-5), $"row {i}");
        }
    }

    [Category("Integration")]
    [Test]
    public void MissingOrNonTextColumnsAreClearErrors()
    {
        var mlContext = new MLContext(seed: 1);
        var data = TextRows.Sample(mlContext);
        var missing = mlContext.Transforms.Text.ApplyContextualEmbeddings("Features", "Review", model: "minilm");
        Assert.That(() => missing.Fit(data), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contain("'Review' was not found"));
        Assert.That(() => missing.GetOutputSchema(SchemaShapes.FromSchema(data.Schema)), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contain("Review"));
        var numeric = mlContext.Transforms.Text.ApplyContextualEmbeddings("Features", "Label", model: "minilm");
        Assert.That(() => numeric.Fit(data), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contain("must be text"));
    }

    public sealed class EmbeddingRow
    {
        public float[] Features { get; set; } = [];
    }
}
