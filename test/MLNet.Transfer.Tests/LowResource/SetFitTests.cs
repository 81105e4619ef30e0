using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transfer.MLNetIntegration;
using MLNet.Transfer.Training;

namespace MLNet.Transfer.Tests.LowResource;

public class SetFitTests
{
    [Category("Unit")]
    [Test]
    public void PairsPairEachExampleWithOneSameAndOneOtherClassPartnerPerRound()
    {
        int[] labels = [0, 0, 0, 1, 1, 2];
        var pairs = ContrastiveTuner.Pairs(labels, iterations: 5, maxPairs: 1000, seed: 1);
        Assert.That(pairs, Has.Count.EqualTo(2 * 5 * labels.Length));
        Assert.That(pairs.All(p => (labels[p.First] == labels[p.Second]) == (p.Target == 1)), Is.True);
        Assert.That(pairs.Count(p => p.Target == 1), Is.EqualTo(30));
        Assert.That(ContrastiveTuner.Pairs(labels, 5, 1000, 1), Is.EqualTo(pairs));
        Assert.That(ContrastiveTuner.Pairs(labels, 5, 7, 1), Has.Count.EqualTo(7));
        Assert.That(() => ContrastiveTuner.Pairs([1, 1, 1], 5, 100, 1), Throws.ArgumentException.With.Message.Contain("two classes"));
    }

    [Category("Unit")]
    [Test]
    public void FlatOptionsBuildTheContrastiveSettingsWithSetFitDefaultsAndTheEmbeddingsPooling()
    {
        Assert.That(new SetFitEmbeddingOptions().ToSettings(TestModels.MiniLm), Is.EqualTo(new ContrastiveSettings()), "unset pooling: MiniLM's own (mean)");
        var options = new SetFitEmbeddingOptions { Embeddings = new ContextualEmbeddingOptions { Pooling = PoolingMode.Cls }, LearningRate = 1e-3, Iterations = 3, MaxGradNorm = 0, Seed = 7 };
        Assert.That(options.ToSettings(TestModels.MiniLm), Is.EqualTo(new ContrastiveSettings { Pooling = PoolingMode.Cls, LearningRate = 1e-3, Iterations = 3, MaxGradNorm = 0, Seed = 7 }));
    }

    public sealed class Row
    {
        public string Label { get; set; } = "";
        public string Text { get; set; } = "";
    }

    [Category("Integration")]
    [Test]
    public void TuningPullsSameClassEmbeddingsTogetherAndPushesClassesApart()
    {
        using var temp = TestModels.TempDir();
        var mlContext = new MLContext(1);
        string[] positive = ["good", "great", "nice", "fine"], negative = ["bad", "awful", "poor", "sad"];
        var random = new Random(3);
        var rows = Enumerable.Range(0, 32).Select(i =>
        {
            var words = i % 2 == 0 ? positive : negative;
            return new Row { Label = i % 2 == 0 ? "pos" : "neg", Text = $"the {words[random.Next(4)]} movie was {words[random.Next(4)]} today" };
        }).ToList();
        var data = mlContext.Data.LoadFromEnumerable(rows);
        var embedding = new ContextualEmbeddingOptions { Model = TestModels.TinyModelDirectory(temp.Path), Normalize = true };
        double Separation(ITransformer featurizer)
        {
            var vectors = featurizer.Transform(data).GetColumn<float[]>("Features").ToArray();
            double same = 0, other = 0;
            int sameCount = 0, otherCount = 0;
            for (int i = 0; i < vectors.Length; i++)
                for (int j = i + 1; j < vectors.Length; j++)
                {
                    double cos = vectors[i].Zip(vectors[j], (a, b) => (double)a * b).Sum();
                    if (rows[i].Label == rows[j].Label) { same += cos; sameCount++; } else { other += cos; otherCount++; }
                }
            return same / sameCount - other / otherCount;
        }
        double before = Separation(mlContext.Transforms.Text.ApplyContextualEmbeddings(embedding).Fit(data));
        var setFit = mlContext.Transforms.Text.ApplySetFitEmbeddings(new SetFitEmbeddingOptions
        {
            Embeddings = embedding, LearningRate = 1e-3, Iterations = 10, Seed = 2,
        }).Fit(data);
        double after = Separation(setFit);
        TestContext.Out.WriteLine($"mean same-class minus other-class cosine: {before:F4} → {after:F4}");
        Assert.That(after, Is.GreaterThan(before + 0.2));

        // SetFit's second stage: any ML.NET trainer on the tuned embeddings.
        var classifier = mlContext.Transforms.Conversion.MapValueToKey("Label")
            .Append(mlContext.Transforms.Text.ApplySetFitEmbeddings(new SetFitEmbeddingOptions
            {
                Embeddings = embedding, LearningRate = 1e-3, Iterations = 10, Seed = 2,
            }))
            .Append(mlContext.MulticlassClassification.Trainers.LbfgsMaximumEntropy()).Fit(data);
        Assert.That(mlContext.MulticlassClassification.Evaluate(classifier.Transform(data)).MicroAccuracy, Is.EqualTo(1.0));
    }

    [Category("Unit")]
    [Test]
    public void OneClassIsAClearError()
    {
        using var temp = TestModels.TempDir();
        var mlContext = new MLContext(1);
        var data = mlContext.Data.LoadFromEnumerable(new[] { new Row { Label = "a", Text = "x" }, new Row { Label = "a", Text = "y" } });
        var options = new SetFitEmbeddingOptions { Embeddings = new ContextualEmbeddingOptions { Model = TestModels.TinyModelDirectory(temp.Path) } };
        Assert.That(() => mlContext.Transforms.Text.ApplySetFitEmbeddings(options).Fit(data),
            Throws.InstanceOf<InvalidDataException>().With.Message.Contain("only one class ('a')"));
    }
}
