using Microsoft.ML;
using MLNet.Transfer.MLNetIntegration;

namespace MLNet.Transfer.Tests.MLNetIntegration;

/// <summary>A saved <see cref="ScaleTransformer"/> zip, and loading it in a fresh context that registered the test components.</summary>
internal static class ScaleModelFiles
{
    /// <summary>Saves a <see cref="ScaleTransformer"/> (info MLNTSCAL, written 3, readable by 2+, reads back to 1) and returns its zip.</summary>
    public static string Save(TempDirectory temp)
    {
        var mlContext = new MLContext(seed: 1);
        IDataView data = mlContext.Data.LoadFromEnumerable(SyntheticData.Rows(10));
        string path = temp.File("scale.zip");
        mlContext.Model.Save(new ScaleTransformer("X", "Scaled", SyntheticData.Factors), data.Schema, path);
        return path;
    }

    /// <summary>Loads <paramref name="path"/> in a new MLContext with the test assembly's components registered.</summary>
    public static ITransformer Load(string path)
    {
        var mlContext = new MLContext(seed: 2);
        TransferComponents.Register(mlContext, typeof(ScaleTransformer).Assembly);
        return mlContext.Model.Load(path, out _);
    }
}
