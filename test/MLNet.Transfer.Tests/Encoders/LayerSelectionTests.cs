using MLNet.Transfer.Encoders;
using MLNet.Transfer.Models;
using MLNet.Transfer.Text;
using static TorchSharp.torch;

namespace MLNet.Transfer.Tests.Encoders;

/// <summary>Layer choice and combination behave as documented (ELMo-style transfer).</summary>
[Category("Integration")]
public class LayerSelectionTests
{
    private static readonly string[] Texts = ["The plot was thin but the acting saved it.", "hello world"];

    [Test]
    public void LastLayerByIndexEqualsDefault()
    {
        var encoder = TestModels.MiniLm;
        var byDefault = encoder.Embed(Texts);
        var byIndex = encoder.Embed(Texts, new EmbeddingSettings { Layers = [-1] });
        var byPositive = encoder.Embed(Texts, new EmbeddingSettings { Layers = [6] });
        Assert.That(byIndex, Is.EqualTo(byDefault));
        Assert.That(byPositive, Is.EqualTo(byDefault));
    }

    [Test]
    public void AverageOfAllLayersEqualsManualAverageAndConcatenationStacksThem()
    {
        var encoder = TestModels.MiniLm;
        int[] all = Enumerable.Range(0, 7).ToArray();
        var perLayer = all.Select(l => encoder.Embed(Texts, new EmbeddingSettings { Layers = [l] })).ToArray();
        var average = encoder.Embed(Texts, new EmbeddingSettings { Layers = all, Combination = LayerCombination.Average });
        var concatenated = encoder.Embed(Texts, new EmbeddingSettings { Layers = all, Combination = LayerCombination.Concatenate });
        var uniformMix = encoder.Embed(Texts, new EmbeddingSettings { Layers = all, Combination = LayerCombination.ScalarMix, MixWeights = new float[7] });
        var lastOnlyMix = encoder.Embed(Texts, new EmbeddingSettings { Layers = all, Combination = LayerCombination.ScalarMix, MixWeights = [-50, -50, -50, -50, -50, -50, 50] });
        for (int t = 0; t < Texts.Length; t++)
        {
            Assert.That(concatenated[t], Has.Length.EqualTo(7 * 384));
            for (int d = 0; d < 384; d++)
            {
                double manual = all.Average(l => perLayer[l][t][d]);
                Assert.That(average[t][d], Is.EqualTo(manual).Within(1e-5));
                Assert.That(uniformMix[t][d], Is.EqualTo(manual).Within(1e-5));
                Assert.That(lastOnlyMix[t][d], Is.EqualTo(perLayer[6][t][d]).Within(1e-5));
                for (int l = 0; l < 7; l++) Assert.That(concatenated[t][l * 384 + d], Is.EqualTo(perLayer[l][t][d]).Within(1e-6));
            }
        }
        Assert.That(perLayer[0][0], Is.Not.EqualTo(perLayer[6][0]), "layers differ");
    }

    [Test]
    public void WindowsOverLongTextsAverageWindowVectors()
    {
        var encoder = TestModels.MiniLm;
        string longText = string.Join(" ", Enumerable.Repeat("the film was long and the story wandered but the ending landed well", 20));
        var settings = new EmbeddingSettings { MaxTokens = 64, WindowStride = 32 };
        var windows = encoder.Tokenizer.EncodeWindows(longText, 64, 32);
        Assert.That(windows, Has.Count.GreaterThan(3));
        var pooled = encoder.Embed([longText], settings)[0];
        var truncated = encoder.Embed([longText], settings with { WindowStride = 0 })[0];
        Assert.That(pooled, Is.Not.EqualTo(truncated));
        var decoded = windows.Select(w => encoder.Tokenizer.Decode(w.InputIds)).ToList();
        var perWindow = encoder.Embed(decoded, settings with { WindowStride = 0 });
        // decoded windows re-tokenize to the same pieces, so their average is the windowed vector
        for (int d = 0; d < 384; d++) Assert.That(pooled[d], Is.EqualTo(perWindow.Average(w => w[d])).Within(1e-4));
    }

    [Test]
    public void BadSettingsAreRejectedByName()
    {
        var encoder = TestModels.MiniLm;
        Assert.That(() => encoder.Embed(Texts, new EmbeddingSettings { MaxTokens = 513 }), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contain("MaxTokens"));
        Assert.That(() => encoder.Embed(Texts, new EmbeddingSettings { BatchSize = 0 }), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contain("BatchSize"));
        Assert.That(() => encoder.Embed(Texts, new EmbeddingSettings { Layers = [9] }), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contain("Layer 9"));
        Assert.That(() => encoder.Embed(Texts, new EmbeddingSettings { Layers = [1, 2], Combination = LayerCombination.ScalarMix }), Throws.ArgumentException.With.Message.Contain("MixWeights"));
    }
}
