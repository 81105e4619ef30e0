using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transfer.MLNetIntegration;

namespace MLNet.Transfer.Tests.MLNetIntegration;

/// <summary>Our transformers survive the standard <c>mlContext.Model.Save</c> / <c>Model.Load</c>, alone and in chains.</summary>
[Category("Unit")]
public class ModelRoundTripTests
{
    [Test]
    public void StandaloneTransformerSavesAndLoadsWithIdenticalOutputs()
    {
        using var temp = new TempDirectory();
        var mlContext = new MLContext(seed: 1);
        IDataView data = mlContext.Data.LoadFromEnumerable(SyntheticData.Rows(20));
        var scale = new ScaleTransformer("X", "Scaled", SyntheticData.Factors, batchSize: 3);
        List<string> expected = SyntheticData.Fingerprint(scale.Transform(data));
        string path = temp.File("scale.zip");

        mlContext.Model.Save(scale, data.Schema, path);
        var fresh = new MLContext(seed: 2);
        TransferComponents.Register(fresh, typeof(ScaleTransformer).Assembly);
        ITransformer loaded = fresh.Model.Load(path, out DataViewSchema inputSchema);

        Assert.That(loaded, Is.TypeOf<ScaleTransformer>());
        var loadedScale = (ScaleTransformer)loaded;
        Assert.That(loadedScale.Factors, Is.EqualTo(SyntheticData.Factors));
        Assert.That(loadedScale.BatchSize, Is.EqualTo(3));
        Assert.That(inputSchema["X"].Type, Is.EqualTo(NumberDataViewType.Single));
        Assert.That(SyntheticData.Fingerprint(loaded.Transform(fresh.Data.LoadFromEnumerable(SyntheticData.Rows(20)))), Is.EqualTo(expected));
        Assert.That(ZipEdit.EntryLength(path, ScaleTransformer.FactorsStream), Is.EqualTo(7 * sizeof(float)));
        Assert.That(expected[1].Split(' ')[2], Is.EqualTo(SyntheticData.Bits(SyntheticData.Rows(20)[1].X * 2f)));
    }

    [Test]
    public void ChainWithMlNetTransformsAndTrainerLoadsWithIdenticalScores()
    {
        using var temp = new TempDirectory();
        var mlContext = new MLContext(seed: 1);
        IDataView data = mlContext.Data.LoadFromEnumerable(SyntheticData.Rows());
        TransformerChain<ITransformer> model = SyntheticData.TrainChain(mlContext, data, new ScaleTransformer("X", "Scaled", SyntheticData.Factors));
        List<string> expected = SyntheticData.Fingerprint(model.Transform(data));
        string path = temp.File("chain.zip");

        mlContext.Model.Save(model, data.Schema, path);
        MLContext fresh = new MLContext(seed: 2);
        TransferComponents.Register(fresh, typeof(ScaleTransformer).Assembly);
        ITransformer loaded = fresh.Model.Load(path, out _);

        var chain = (TransformerChain<ITransformer>)loaded;
        Assert.That(chain.First(), Is.TypeOf<ScaleTransformer>());
        Assert.That(chain.Count(), Is.EqualTo(3));
        Assert.That(SyntheticData.Fingerprint(loaded.Transform(fresh.Data.LoadFromEnumerable(SyntheticData.Rows()))), Is.EqualTo(expected));
        var metrics = fresh.BinaryClassification.Evaluate(loaded.Transform(fresh.Data.LoadFromEnumerable(SyntheticData.Rows())), "Label");
        Assert.That(metrics.Accuracy, Is.GreaterThan(0.8));
    }

    [Test]
    public void PredictionEngineWorksAfterLoadAndMatchesTheOriginal()
    {
        using var temp = new TempDirectory();
        var mlContext = new MLContext(seed: 1);
        IDataView data = mlContext.Data.LoadFromEnumerable(SyntheticData.Rows());
        TransformerChain<ITransformer> model = SyntheticData.TrainChain(mlContext, data, new ScaleTransformer("X", "Scaled", SyntheticData.Factors));
        string path = temp.File("chain.zip");
        mlContext.Model.Save(model, data.Schema, path);
        var fresh = new MLContext(seed: 2);
        TransferComponents.Register(fresh, typeof(ScaleTransformer).Assembly);
        ITransformer loaded = fresh.Model.Load(path, out _);

        var original = mlContext.Model.CreatePredictionEngine<SyntheticData.Row, SyntheticData.Scored>(model);
        var reloaded = fresh.Model.CreatePredictionEngine<SyntheticData.Row, SyntheticData.Scored>(loaded);
        foreach (SyntheticData.Row row in SyntheticData.Rows(12, seed: 99))
        {
            SyntheticData.Scored a = original.Predict(row);
            SyntheticData.Scored b = reloaded.Predict(row);
            Assert.That(b.Scaled, Is.EqualTo(SyntheticData.Factors.Select(f => row.X * f).ToArray()));
            Assert.That(SyntheticData.Bits(b.Score), Is.EqualTo(SyntheticData.Bits(a.Score)));
            Assert.That(SyntheticData.Bits(b.Probability), Is.EqualTo(SyntheticData.Bits(a.Probability)));
        }
    }

    [Test]
    public void ChainLoadsInAFreshProcessWithBitIdenticalScores()
    {
        using var temp = new TempDirectory();
        var mlContext = new MLContext(seed: 1);
        IDataView data = mlContext.Data.LoadFromEnumerable(SyntheticData.Rows());
        TransformerChain<ITransformer> model = SyntheticData.TrainChain(mlContext, data, new ScaleTransformer("X", "Scaled", SyntheticData.Factors));
        List<string> expected = SyntheticData.Fingerprint(model.Transform(data));
        string path = temp.File("chain.zip");
        string output = temp.File("scores.txt");
        mlContext.Model.Save(model, data.Schema, path);

        ChildProcess.Result result = ChildProcess.Run(ChildCommands.ScoreModel, path, output);

        Assert.That(result.ExitCode, Is.EqualTo(0), result.StandardError);
        Assert.That(File.ReadAllLines(output), Is.EqualTo(expected));
    }
}
