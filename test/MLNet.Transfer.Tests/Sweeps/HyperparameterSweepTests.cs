using Microsoft.ML;
using MLNet.Transfer.MLNetIntegration;
using MLNet.Transfer.Models;
using MLNet.Transfer.Tests.MLNetIntegration;

namespace MLNet.Transfer.Tests.Sweeps;

public class HyperparameterSweepTests
{
    private static readonly SweepParameter<ContextualEmbeddingOptions>[] Axes =
    [
        SweepParameter.Of<ContextualEmbeddingOptions, PoolingMode>("Pooling", [PoolingMode.Cls, PoolingMode.Mean, PoolingMode.Max], (o, v) => o.Pooling = v),
        SweepParameter.Of<ContextualEmbeddingOptions, int[]>("Layers", [[1], [-1]], (o, v) => o.Layers = v),
    ];

    [Category("Unit")]
    [Test]
    public void GridCoversEveryCombinationAndRandomDrawsDistinctOnes()
    {
        var grid = HyperparameterSweep.Grid(() => new ContextualEmbeddingOptions(), Axes);
        Assert.That(grid, Has.Count.EqualTo(6));
        Assert.That(grid.Select(g => (g.Options.Pooling, g.Options.Layers![0])).Distinct().Count(), Is.EqualTo(6));
        var random = HyperparameterSweep.Random(() => new ContextualEmbeddingOptions(), 4, seed: 3, Axes);
        Assert.That(random.Select(r => (r.Options.Pooling, r.Options.Layers![0])).Distinct().Count(), Is.EqualTo(4));
        Assert.That(HyperparameterSweep.Random(() => new ContextualEmbeddingOptions(), 4, seed: 3, Axes).Select(r => r.Options.Pooling),
            Is.EqualTo(random.Select(r => r.Options.Pooling)), "same seed, same draw");
    }

    [Category("Integration")]
    [Test]
    public void SixEmbeddingConfigurationsOnUciSentencesComeBackRankedWithTheirModels()
    {
        var mlContext = new MLContext(seed: 1);
        var train = mlContext.Data.TakeRows(TextRows.Uci(mlContext, "yelp"), 600);
        var valid = mlContext.Data.TakeRows(TextRows.Uci(mlContext, "imdb"), 300);
        double Accuracy(IDataView scored) => mlContext.BinaryClassification.Evaluate(scored).Accuracy;
        var trials = HyperparameterSweep.Run(
            HyperparameterSweep.Grid(() => new ContextualEmbeddingOptions { Encoder = TestModels.MiniLm, Normalize = true }, Axes),
            options => mlContext.Transforms.Text.ApplyContextualEmbeddings(options).AppendCacheCheckpoint(mlContext)
                .Append(mlContext.BinaryClassification.Trainers.LbfgsLogisticRegression()),
            train, valid, Accuracy);

        string table = HyperparameterSweep.ToMarkdown(trials);
        TestContext.Out.WriteLine(table);
        Assert.That(trials, Has.Count.EqualTo(6));
        Assert.That(trials.Select(t => t.Score), Is.Ordered.Descending);
        Assert.That(trials[0].Score, Is.GreaterThan(trials[^1].Score), "the options matter: best beats worst");
        Assert.That(Accuracy(trials[0].Model.Transform(valid)), Is.EqualTo(trials[0].Score), "the returned model scores as reported");
        Assert.That(table.Split('\n', StringSplitOptions.RemoveEmptyEntries), Has.Length.EqualTo(8));
        Assert.That(table, Does.StartWith("| rank | Pooling | Layers | score | seconds |"));
    }
}
