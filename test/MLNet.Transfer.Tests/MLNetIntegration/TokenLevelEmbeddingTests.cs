using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.MLNetIntegration;
using MLNet.Transfer.Models;

namespace MLNet.Transfer.Tests.MLNetIntegration;

/// <summary>Token-level output: one vector per word piece plus the word pieces, consistent with the pooled outputs.</summary>
[Category("Unit")]
public class TokenLevelEmbeddingTests
{
    public sealed class Line { public string Text { get; set; } = ""; }

    [Test]
    public void TokenVectorsPoolToTheSentenceVectorsAndSurviveSaveAndLoad()
    {
        using var temp = TestModels.TempDir();
        var mlContext = new MLContext(1);
        string modelDir = TestModels.TinyModelDirectory(temp.Path);
        var data = mlContext.Data.LoadFromEnumerable(new[] { new Line { Text = "Hello world" }, new Line { Text = "" }, new Line { Text = "Token-level features, for taggers!" } });
        ContextualEmbeddingOptions Options(bool tokens, PoolingMode pooling) => new() { Model = modelDir, Layers = [-2, -1], Combination = LayerCombination.Concatenate, TokenLevel = tokens, Pooling = pooling };
        var tokenModel = mlContext.Transforms.Text.ApplyContextualEmbeddings(Options(true, PoolingMode.Mean)).Fit(data);
        var scored = tokenModel.Transform(data);
        Assert.That(scored.Schema["Features"].Type, Is.EqualTo(new VectorDataViewType(NumberDataViewType.Single)));
        var vectors = scored.GetColumn<float[]>("Features").ToArray();
        var tokens = scored.GetColumn<string[]>("FeaturesTokens").ToArray();
        Assert.That(tokens[0], Is.EqualTo(new[] { "[CLS]", "hello", "world", "[SEP]" }));
        Assert.That(tokens[1], Is.EqualTo(new[] { "[CLS]", "[SEP]" }));
        int width = tokenModel.TokenWidth;
        Assert.That(width, Is.EqualTo(2 * tokenModel.Encoder.HiddenSize));
        for (int r = 0; r < vectors.Length; r++) Assert.That(vectors[r], Has.Length.EqualTo(tokens[r].Length * width));

        var cls = mlContext.Transforms.Text.ApplyContextualEmbeddings(Options(false, PoolingMode.Cls)).Fit(data).Transform(data).GetColumn<float[]>("Features").ToArray();
        var mean = mlContext.Transforms.Text.ApplyContextualEmbeddings(Options(false, PoolingMode.Mean)).Fit(data).Transform(data).GetColumn<float[]>("Features").ToArray();
        for (int r = 0; r < vectors.Length; r++)
        {
            Assert.That(vectors[r][..width], Is.EqualTo(cls[r]).Within(1e-5), "the [CLS] token vector is the CLS-pooled vector");
            int count = tokens[r].Length;
            var average = Enumerable.Range(0, width).Select(d => Enumerable.Range(0, count).Average(t => vectors[r][t * width + d])).ToArray();
            Assert.That(average, Is.EqualTo(mean[r]).Within(1e-4), "token vectors average to the mean-pooled vector");
        }

        string zip = Path.Combine(temp.Path, "tokens.zip");
        mlContext.Model.Save(tokenModel, data.Schema, zip);
        var loaded = new MLContext(2).RegisterTransferComponents().Model.Load(zip, out _);
        Assert.That(loaded.Transform(data).GetColumn<float[]>("Features").ToArray(), Is.EqualTo(vectors));
        Assert.That(loaded.Transform(data).GetColumn<string[]>("FeaturesTokens").ToArray(), Is.EqualTo(tokens));
    }

    [Test]
    public void WindowsAreRefusedWithTokenLevelOutput()
    {
        using var temp = TestModels.TempDir();
        var mlContext = new MLContext(1);
        var data = mlContext.Data.LoadFromEnumerable(new[] { new Line { Text = "x" } });
        var options = new ContextualEmbeddingOptions { Model = TestModels.TinyModelDirectory(temp.Path), TokenLevel = true, WindowStride = 16 };
        Assert.That(() => mlContext.Transforms.Text.ApplyContextualEmbeddings(options).Fit(data),
            Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contain("WindowStride"));
    }
}
