using Microsoft.ML;
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
    public void RegisteringTheLibraryItselfSucceeds()
    {
        var mlContext = new MLContext(seed: 1);

        Assert.That(mlContext.RegisterTransferComponents(), Is.SameAs(mlContext));
    }
}
