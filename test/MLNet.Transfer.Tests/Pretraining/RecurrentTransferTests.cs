using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.MLNetIntegration;
using MLNet.Transfer.Models;
using MLNet.Transfer.Models.Recurrent;
using MLNet.Transfer.Pretraining;
using MLNet.Transfer.Tests.Cli;
using MLNet.Transfer.Tests.MLNetIntegration;
using MLNet.Transfer.Tests.Text;
using static TorchSharp.torch;

namespace MLNet.Transfer.Tests.Pretraining;

/// <summary>Recurrent models through the featurizer, fine-tuning and the command line, with tiny random models over the real vocabulary.</summary>
[NonParallelizable] // the CLI test swaps Console.Out
public class RecurrentTransferTests
{
    /// <summary>A tiny random recurrent LM over the bert-base-uncased vocabulary, saved as a model directory under <paramref name="root"/>.</summary>
    private static string TinyDirectory(string root, string type)
    {
        var config = RecurrentLanguageModelTests.Tiny(type, vocab: 0);
        using var lm = RecurrentLanguageModel.FromScratch(config, TestVocab.BertUncased, seed: 7);
        string dir = Path.Combine(root, type);
        lm.Save(dir);
        return dir;
    }

    [Category("Unit")]
    [Test]
    public void LastPoolingTakesEachRowsLastRealToken()
    {
        using var states = arange(2 * 3 * 2, dtype: ScalarType.Float32).view(2, 3, 2);
        using var mask = tensor(new long[] { 1, 1, 0, 1, 1, 1 }, [2, 3]);
        using var last = Pooling.Pool(states, mask, PoolingMode.Last);
        Assert.That(last.data<float>().ToArray(), Is.EqualTo(new float[] { 2, 3, 10, 11 }));
        using var concat = Pooling.Pool(states, mask, PoolingMode.LastMaxMean);
        Assert.That(concat.data<float>().ToArray(), Is.EqualTo(new float[] { 2, 3, 2, 3, 1, 2, 10, 11, 10, 11, 8, 9 }), "ULMFiT order: last, max, mean");
        Assert.That(Pooling.Width(PoolingMode.LastMaxMean, 16), Is.EqualTo(48));
    }

    [Category("Unit")]
    [Test]
    public void RecurrentLayersFeedTheScalarMixAverageAndConcatenation()
    {
        using var temp = TestModels.TempDir();
        using var bilstm = PretrainedEncoder.Load(TinyDirectory(temp.Path, RecurrentConfig.BiLstmType));
        Assert.That(Enumerable.Range(0, 3).Select(bilstm.Model.LayerWidth), Is.EqualTo(new[] { 32, 32, 32 }), "embeddings doubled, then forward‖backward");
        string[] texts = ["A great film.", "Dull and far too long."];
        var mixed = bilstm.Embed(texts, new EmbeddingSettings { Layers = [0, 1, 2], Combination = LayerCombination.ScalarMix, MixWeights = [0f, 1f, 2f] });
        var perLayer = Enumerable.Range(0, 3).Select(l => bilstm.Embed(texts, new EmbeddingSettings { Layers = [l] })).ToArray();
        var weights = new[] { 0.0, 1, 2 }.Select(Math.Exp).ToArray();
        for (int d = 0; d < 32; d++)
        {
            double expected = Enumerable.Range(0, 3).Sum(l => weights[l] / weights.Sum() * perLayer[l][1][d]);
            Assert.That(mixed[1][d], Is.EqualTo(expected).Within(1e-5), "ELMo scalar mix of the recurrent layers");
        }

        using var awd = PretrainedEncoder.Load(TinyDirectory(temp.Path, RecurrentConfig.AwdLstmType));
        Assert.That(Enumerable.Range(0, 3).Select(awd.Model.LayerWidth), Is.EqualTo(new[] { 16, 24, 16 }));
        Assert.That(awd.Embed(texts, new EmbeddingSettings { Layers = [0, 1, 2], Combination = LayerCombination.Concatenate })[0], Has.Length.EqualTo(56));
        Assert.That(awd.Embed(texts, new EmbeddingSettings { Layers = [0, 2] })[0], Has.Length.EqualTo(16), "equal widths average");
        Assert.That(() => awd.Embed(texts, new EmbeddingSettings { Layers = [0, 1] }),
                    Throws.ArgumentException.With.Message.Contain("different widths"));
    }

    [Category("Unit")]
    [Test]
    public void ContextualEmbeddingsOverARecurrentModelRoundTripThroughAModelZip()
    {
        using var temp = TestModels.TempDir();
        string dir = TinyDirectory(temp.Path, RecurrentConfig.BiLstmType);
        var mlContext = new MLContext(seed: 1);
        var data = TextRows.Sample(mlContext);
        var model = mlContext.Transforms.Text.ApplyContextualEmbeddings(new ContextualEmbeddingOptions
        {
            Model = dir, Layers = [0, 1, 2], Combination = LayerCombination.ScalarMix, MixWeights = [0.1f, 0.2f, 0.3f], Pooling = PoolingMode.Max,
        }).Fit(data);
        var expected = TextRows.Column(model.Transform(data), "Features");
        Assert.That(expected[0].Split(' '), Has.Length.EqualTo(32));
        string zip = Path.Combine(temp.Path, "features.zip");
        mlContext.Model.Save(model, data.Schema, zip);
        Directory.Delete(dir, true); // the zip must not need the directory

        var fresh = new MLContext(seed: 2).RegisterTransferComponents();
        var loaded = fresh.Model.Load(zip, out var schema);
        Assert.That(TextRows.Column(loaded.Transform(TextRows.Sample(fresh)), "Features"), Is.EqualTo(expected));
        Assert.That(loaded.GetOutputSchema(schema)["Features"].Type, Is.EqualTo(new VectorDataViewType(NumberDataViewType.Single, 32)));
    }

    [Category("Integration")]
    [Test]
    public void FineTuningARecurrentEncoderLearnsATinyTaskAndRoundTrips()
    {
        using var temp = TestModels.TempDir();
        string dir = TinyDirectory(temp.Path, RecurrentConfig.AwdLstmType);
        var random = new Random(3);
        string[] good = ["great", "wonderful", "excellent", "superb", "lovely"], bad = ["awful", "terrible", "boring", "dreadful", "poor"];
        var rows = Enumerable.Range(0, 80).Select(i =>
        {
            var words = i % 2 == 0 ? good : bad;
            return new TextRow { Label = i % 2 == 0, Text = $"the film was {words[random.Next(5)]} and {words[random.Next(5)]}" };
        }).ToList();
        var mlContext = new MLContext(seed: 1);
        var data = mlContext.Data.LoadFromEnumerable(rows);
        var options = new FineTuneTransformerOptions
        {
            Model = dir, Epochs = 6, BatchSize = 8, LearningRate = 1e-2, Pooling = PoolingMode.LastMaxMean, MaxTokens = 32, Seed = 1,
        };
        var estimator = mlContext.BinaryClassification.Trainers.FineTuneTransformer(options);
        var model = estimator.Fit(data);
        var metrics = mlContext.BinaryClassification.Evaluate(model.Transform(data));
        TestContext.Out.WriteLine($"tiny AWD-LSTM fine-tuned: accuracy {metrics.Accuracy:P0}, {estimator.LastResult!.TokensPerSecond:F0} tokens/s");
        Assert.That(metrics.Accuracy, Is.GreaterThanOrEqualTo(0.95));
        Assert.That(model.Encoder.ModelType, Is.EqualTo(RecurrentConfig.AwdLstmType));

        var expected = TextRows.Column(model.Transform(TextRows.Sample(mlContext)), "Score");
        string zip = Path.Combine(temp.Path, "classifier.zip");
        mlContext.Model.Save(model, data.Schema, zip);
        Directory.Delete(dir, true);
        ChildCommands.AssertFreshProcessScores(zip, "Score", expected);
    }

    [Category("Integration")]
    [Test]
    public void CliPretrainsARecurrentModelThatEmbedAndTrainAccept()
    {
        using var temp = TestModels.TempDir();
        string corpus = Path.Combine(temp.Path, "corpus.txt");
        File.WriteAllLines(corpus, Enumerable.Range(0, 40).Select(i => $"review {i}: the film was {(i % 2 == 0 ? "great fun" : "a dull mess")}."));
        string dir = Path.Combine(temp.Path, "bilstm");
        var pretrained = InProcessCli.Run("pretrain", "--corpus", corpus, "--model", "scratch", "--arch", "bilstm", "--steps", "2", "--batch-size", "8",
                                          "--max-tokens", "24", "--output", dir, "--json");
        Assert.That(pretrained.Code, Is.EqualTo(0), pretrained.Err);
        Assert.That(pretrained.Out, Does.Contain("tok/s"));
        using (var json = JsonDocument.Parse(pretrained.Out.Trim().Split('\n')[^1]))
        {
            Assert.That(json.RootElement.GetProperty("HeldOutLossBefore").GetDouble(), Is.GreaterThan(json.RootElement.GetProperty("HeldOutLossAfter").GetDouble()));
            Assert.That(json.RootElement.GetProperty("Architecture").GetString(), Is.EqualTo("bilstm"));
            Assert.That(json.RootElement.GetProperty("Objective").GetString(), Is.EqualTo("clm"));
        }

        var embedded = InProcessCli.Run("embed", "--model", dir, "--pooling", "mean", "--json", "--text", "A great film.");
        Assert.That(embedded.Code, Is.EqualTo(0), embedded.Err);
        using (var json = JsonDocument.Parse(embedded.Out.Trim()))
            Assert.That(json.RootElement.GetProperty("embedding").GetArrayLength(), Is.EqualTo(512), "bilstm top layer: 256 forward ‖ 256 backward");

        string train = Path.Combine(temp.Path, "train.tsv"), zip = Path.Combine(temp.Path, "model.zip");
        File.WriteAllLines(train, ["Label\tText", .. Enumerable.Range(0, 40).Select(i => $"{i % 2}\t{(i % 2 == 1 ? "great fun" : "a dull mess")} {i}")]);
        var trained = InProcessCli.Run("train", "--task", "binary", "--train", train, "--valid", train, "--model", dir, "--epochs", "1", "--batch-size", "4", "--output", zip);
        Assert.That(trained.Code, Is.EqualTo(0), trained.Err);
        var predicted = InProcessCli.Run("predict", "--model-file", zip, "--text", "great fun");
        Assert.That(predicted.Out, Does.Match("label: [01]  score: 0\\.\\d{4}"));

        var refused = InProcessCli.Run("pretrain", "--corpus", corpus, "--model", "scratch", "--arch", "awd-lstm", "--objective", "mlm", "--output", Path.Combine(temp.Path, "x"));
        Assert.That(refused.Code, Is.EqualTo(2));
        Assert.That(refused.Err, Does.Contain("--objective clm"));
    }
}
