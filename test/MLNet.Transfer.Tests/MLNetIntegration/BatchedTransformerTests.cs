using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.Transfer.Tests.MLNetIntegration;

/// <summary>The data path of <see cref="MLNet.Transfer.MLNetIntegration.BatchedTransformerBase"/>.</summary>
[Category("Unit")]
public class BatchedTransformerTests
{
    [Test]
    public void CursorComputesInBatchesAndPassesInputColumnsThrough()
    {
        var mlContext = new MLContext(seed: 1);
        List<SyntheticData.Row> rows = SyntheticData.Rows(10);
        var scale = new ScaleTransformer("X", "Scaled", SyntheticData.Factors, batchSize: 4);

        var outputs = mlContext.Data.CreateEnumerable<Output>(scale.Transform(mlContext.Data.LoadFromEnumerable(rows)), reuseRowObject: false).ToList();

        Assert.That(scale.BatchesComputed, Is.EqualTo(3));
        Assert.That(outputs.Select(o => (o.X, o.Other, o.Label)), Is.EqualTo(rows.Select(r => (r.X, r.Other, r.Label))));
        Assert.That(outputs.Select(o => o.Scaled), Is.EqualTo(rows.Select(r => SyntheticData.Factors.Select(f => r.X * f).ToArray())));
    }

    [Test]
    public void NothingIsComputedWhenNoAddedColumnIsRequested()
    {
        var mlContext = new MLContext(seed: 1);
        var scale = new ScaleTransformer("X", "Scaled", SyntheticData.Factors);
        IDataView output = scale.Transform(mlContext.Data.LoadFromEnumerable(SyntheticData.Rows(10)));

        float[] others = output.GetColumn<float>("Other").ToArray();

        Assert.That(others, Has.Length.EqualTo(10));
        Assert.That(scale.BatchesComputed, Is.EqualTo(0));
    }

    [Test]
    public void OutputSchemaAddsAKnownSizeVectorAndHidesASameNamedInput()
    {
        var mlContext = new MLContext(seed: 1);
        var scale = new ScaleTransformer("X", "Other", SyntheticData.Factors);
        IDataView data = mlContext.Data.LoadFromEnumerable(SyntheticData.Rows(3));

        DataViewSchema schema = scale.GetOutputSchema(data.Schema);

        Assert.That(schema["Other"].Type, Is.EqualTo(new VectorDataViewType(NumberDataViewType.Single, 7)));
        Assert.That(schema.Count(c => c.Name == "Other"), Is.EqualTo(2));
        Assert.That(schema.Single(c => c.Name == "Other" && c.IsHidden).Type, Is.EqualTo(NumberDataViewType.Single));
    }

    [Test]
    public void MissingOrMistypedInputColumnsAreReportedByName()
    {
        var mlContext = new MLContext(seed: 1);
        IDataView data = mlContext.Data.LoadFromEnumerable(SyntheticData.Rows(3));

        var missing = Assert.Throws<ArgumentOutOfRangeException>(() => new ScaleTransformer("Nope", "Scaled", SyntheticData.Factors).GetOutputSchema(data.Schema))!;
        var mistyped = Assert.Throws<ArgumentOutOfRangeException>(() => new ScaleTransformer("Label", "Scaled", SyntheticData.Factors).Transform(data))!;

        Assert.That(missing.Message, Does.Contain("Could not find input column 'Nope'"));
        Assert.That(mistyped.Message, Does.Contain("Schema mismatch for input column 'Label': expected Single, got Boolean"));
    }

    private sealed class Output
    {
        public float X { get; set; }
        public float Other { get; set; }
        public bool Label { get; set; }
        public float[] Scaled { get; set; } = Array.Empty<float>();
    }
}
