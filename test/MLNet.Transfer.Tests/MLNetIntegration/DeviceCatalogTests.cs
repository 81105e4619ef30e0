using Microsoft.ML;
using MLNet.Transfer.MLNetIntegration;
using static TorchSharp.torch;

namespace MLNet.Transfer.Tests.MLNetIntegration;

/// <summary>
/// mlContext.Model.WithDevice: a model already on the device is returned as it is, an unknown or unavailable device is a
/// clear error, and the copy a GPU would get (made here on the CPU, no GPU on this machine) scores exactly as the original.
/// </summary>
[Category("Unit")]
public class DeviceCatalogTests
{
    private static readonly string Folder = RepositoryFiles.Path("test", "fixtures", "saved-models");

    [TestCase("chain.zip")]
    [TestCase("multiclass.zip")]
    [TestCase("multitask.zip")]
    [TestCase("tagger.zip")]
    public void ACopyOnAnotherDeviceScoresExactlyAsTheOriginal(string zip)
    {
        var ml = new MLContext(seed: 1).RegisterTransferComponents();
        var model = ml.Model.Load(Path.Combine(Folder, zip), out _);
        var copy = DeviceCatalog.OnDevice(model, CPU, copyAll: true);
        var encoders = (ITransformer m) => Steps(m).Select(EncoderOf).OfType<object>().ToList();
        Assert.That(encoders(copy), Has.Count.EqualTo(encoders(model).Count).And.Count.GreaterThan(0));
        Assert.That(encoders(copy).Zip(encoders(model)).All(p => !ReferenceEquals(p.First, p.Second)), "the copy has its own encoders");

        var rows = zip == "tagger.zip" ? SavedModelFixture.TaggedRows(ml) : SavedModelFixture.TextRows(ml);
        var columns = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "expected.json"))).RootElement
            .GetProperty(zip).EnumerateObject().Select(p => p.Name).ToArray();
        var original = SavedModelFixture.Columns(model.Transform(rows), columns);
        var copied = SavedModelFixture.Columns(copy.Transform(rows), columns);
        Assert.That(original.Values.SelectMany(v => v).Select(r => r[0]).Distinct().Count(), Is.GreaterThan(1), "the rows give varied outputs");
        foreach (string column in columns)
            Assert.That(copied[column], Is.EqualTo(original[column]), $"{zip} {column}");
    }

    [Test]
    public void TheDeviceTheModelIsOnReturnsItUnchanged()
    {
        var ml = new MLContext(seed: 1).RegisterTransferComponents();
        var model = ml.Model.Load(Path.Combine(Folder, "chain.zip"), out _);
        Assert.That(ml.Model.WithDevice(model, "cpu"), Is.SameAs(model));
        Assert.That(() => ml.Model.WithDevice(model, "gpu"), Throws.ArgumentException.With.Message.Contains("Unknown device 'gpu'"));
        Assert.That(() => ml.Model.WithDevice(model, "cuda"), Throws.InvalidOperationException.With.Message.Contains("CUDA is not available"));
    }

    private static IEnumerable<ITransformer> Steps(ITransformer model) => model is IEnumerable<ITransformer> chain ? chain.SelectMany(Steps) : [model];

    private static object? EncoderOf(ITransformer t) => t switch
    {
        ContextualEmbeddingTransformer e => e.Encoder,
        FineTunedTextTransformer f => f.Encoder,
        TokenClassificationTransformer c => c.Encoder,
        _ => null,
    };
}
