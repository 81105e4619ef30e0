using Microsoft.ML;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.MLNetIntegration;

namespace MLNet.Transfer.Tests.MLNetIntegration;

[Category("Unit")]
public class RegistrationTests
{
    [Test]
    public void ComponentTypesAreFoundByTheirInterface()
    {
        IReadOnlyList<Type> types = TransferComponents.FindComponentTypes(typeof(ScaleTransformer).Assembly);

        Assert.That(types, Is.EqualTo(new[] { typeof(MismatchedTransformer), typeof(ScaleTransformer) }));
    }

    [Test]
    public void RegisterIsIdempotentAndThreadSafe()
    {
        using var temp = new TempDirectory();
        var mlContext = new MLContext(seed: 1);
        IDataView data = mlContext.Data.LoadFromEnumerable(SyntheticData.Rows(5));
        string path = temp.File("scale.zip");
        mlContext.Model.Save(new ScaleTransformer("X", "Scaled", SyntheticData.Factors), data.Schema, path);
        var fresh = new MLContext(seed: 2);

        Parallel.For(0, 16, _ =>
        {
            TransferComponents.Register(fresh, typeof(ScaleTransformer).Assembly);
            fresh.RegisterTransferComponents();
        });
        TransferComponents.Register(fresh, typeof(ScaleTransformer).Assembly);

        Assert.That(fresh.Model.Load(path, out _), Is.TypeOf<ScaleTransformer>());
    }

    [Test]
    public void RegisteringTheLibraryLetsAFreshContextLoadItsComponents()
    {
        using var temp = TestModels.TempDir();
        var mlContext = new MLContext(seed: 1);
        var data = TextRows.Sample(mlContext);
        var model = mlContext.Transforms.Text.ApplyContextualEmbeddings(new ContextualEmbeddingOptions { Model = TestModels.TinyModelDirectory(temp.Path) }).Fit(data);
        string zip = Path.Combine(temp.Path, "embeddings.zip");
        mlContext.Model.Save(model, data.Schema, zip);
        var fresh = new MLContext(seed: 2);
        Exception unregistered = Assert.Catch(() => fresh.Model.Load(zip, out _))!;
        Assert.That(unregistered.Chain().Select(e => e.Message), Has.Some.StartsWith("Couldn't load model"), "without registration ML.NET cannot find the loader");

        Assert.That(fresh.RegisterTransferComponents(), Is.SameAs(fresh), "fluent");
        var loaded = fresh.Model.Load(zip, out _);
        var expected = TextRows.Column(model.Transform(data), "Features");
        Assert.That(expected.Distinct().Count(), Is.GreaterThan(1), "varied vectors, else the comparison proves nothing");
        Assert.That(TextRows.Column(loaded.Transform(TextRows.Sample(fresh)), "Features"), Is.EqualTo(expected));
    }
}
