using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transfer.MLNetIntegration;

namespace MLNet.Transfer.Tests.LowResource;

[Category("Unit")]
public class FewShotSamplingTests
{
    public sealed class Row
    {
        public string Label { get; set; } = "";
        public string Text { get; set; } = "";
    }

    /// <summary>100 "pos", 60 "neg", 5 "rare", 10 unlabelled rows.</summary>
    private static IDataView Data(MLContext mlContext) => mlContext.Data.LoadFromEnumerable(
        Enumerable.Range(0, 175).Select(i => new Row { Label = i < 100 ? "pos" : i < 160 ? "neg" : i < 165 ? "rare" : "", Text = $"row {i}" }).ToList());

    [Test]
    public void TakesKPerClassAndEveryRowOfASmallerClass()
    {
        var mlContext = new MLContext(1);
        var sample = mlContext.Data.SampleKPerClass(Data(mlContext), "Label", k: 8, seed: 3);
        var labels = sample.GetColumn<string>("Label").ToArray();
        Assert.That(labels.Count(l => l == "pos"), Is.EqualTo(8));
        Assert.That(labels.Count(l => l == "neg"), Is.EqualTo(8));
        Assert.That(labels.Count(l => l == "rare"), Is.EqualTo(5));
        Assert.That(labels, Has.None.Empty, "unlabelled rows are never sampled");
        Assert.That(sample.GetRowCount(), Is.EqualTo(21));
        var texts = sample.GetColumn<string>("Text").ToArray();
        Assert.That(texts.Zip(labels).All(p => p.First.StartsWith("row ")), Is.True);
        Assert.That(texts.Select(t => int.Parse(t[4..])), Is.Ordered, "source order is kept");
    }

    [Test]
    public void SameSeedSameRowsAndLargerKExtendsSmallerK()
    {
        var mlContext = new MLContext(1);
        var data = Data(mlContext);
        var k8 = FewShotSampling.Positions(data, "Label", 8, seed: 3);
        Assert.That(FewShotSampling.Positions(data, "Label", 8, seed: 3), Is.EquivalentTo(k8));
        Assert.That(FewShotSampling.Positions(data, "Label", 8, seed: 4), Is.Not.EquivalentTo(k8));
        Assert.That(k8, Is.SubsetOf(FewShotSampling.Positions(data, "Label", 32, seed: 3)));
    }

    [Test]
    public void BadLabelColumnIsAClearError()
    {
        var mlContext = new MLContext(1);
        Assert.That(() => FewShotSampling.Positions(Data(mlContext), "Sentiment", 8, 1),
            Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contain("'Sentiment' was not found"));
        var empty = mlContext.Data.LoadFromEnumerable(new[] { new Row { Text = "x" } });
        Assert.That(() => FewShotSampling.Positions(empty, "Label", 8, 1), Throws.InstanceOf<InvalidDataException>().With.Message.Contain("no labelled rows"));
    }

    [Test]
    public void LearningCurveRunsEveryApproachOnTheSameNestedSamples()
    {
        var mlContext = new MLContext(1);
        var data = Data(mlContext);
        var seen = new List<(string, int, long)>();
        ITransformer Recorder(string name, IDataView sample, int seed)
        {
            seen.Add((name, seed, sample.GetColumn<string>("Label").LongCount()));
            return mlContext.Transforms.CopyColumns("Copy", "Text").Fit(sample);
        }
        var approaches = new[] { new LearningApproach("a", (s, seed) => Recorder("a", s, seed)), new LearningApproach("b", (s, seed) => Recorder("b", s, seed)) };
        var points = LearningCurve.Run(data, data, "Label", [4, 16], [1, 2], approaches, scored => seen[^1].Item3 / 100.0);
        Assert.That(points.Select(p => (p.Approach, p.K)), Is.EqualTo(new[] { ("a", 4), ("a", 16), ("b", 4), ("b", 16) }));
        Assert.That(points.Single(p => p.Approach == "a" && p.K == 4).Values, Is.EqualTo(new[] { 0.12, 0.12 }).Within(1e-12)); // 4 + 4 + 4 rare
        Assert.That(points.Single(p => p.Approach == "b" && p.K == 16).Mean, Is.EqualTo(0.37).Within(1e-12));                 // 16 + 16 + 5
        Assert.That(seen.Count(s => s.Item1 == "a"), Is.EqualTo(4));
        var table = LearningCurve.ToMarkdown(points);
        Assert.That(table, Does.Contain("| k per class | a | b |").And.Contain("| 16 | 37.0% ± 0.0% | 37.0% ± 0.0% |"));
    }
}
