using System.Diagnostics;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.Models;

namespace MLNet.Transfer.Tests.Reliability;

/// <summary>
/// Hostile random text (see <see cref="RandomUnicodeText"/>) through tokenization and the encoder: no exception,
/// every value finite, the same input gives the same vector, and a text's vector does not depend on the batch it
/// was padded into. (The tokenizer alone is fuzzed in Text/TokenizerRobustnessTests.)
/// </summary>
[Category("Reliability")]
public class EmbeddingFuzzTests
{
    private const int Count = 10_000;

    [Test]
    public void TenThousandRandomUnicodeStringsEmbedFinitelyAndDeterministically()
    {
        var random = new Random(20250211);
        string[] texts = [.. Enumerable.Range(0, Count).Select(_ => RandomUnicodeText.Next(random))];
        Assert.That(texts.Count(t => t.Length == 0), Is.GreaterThan(0), "the empty string is among the inputs");
        Assert.That(texts.Max(t => t.Length), Is.GreaterThan(4_000));

        using var encoder = TinyPipelines.NewEncoder();
        var settings = new EmbeddingSettings { Pooling = PoolingMode.MeanMax, Normalize = true, MaxTokens = 128, BatchSize = 64 };
        var clock = Stopwatch.StartNew();
        float[][] first = encoder.Embed(texts, settings);
        double firstSeconds = clock.Elapsed.TotalSeconds;
        float[][] second = encoder.Embed(texts, settings);

        Assert.That(first, Has.Length.EqualTo(Count));
        for (int i = 0; i < Count; i++)
        {
            if (first[i].Length != 64 || !first[i].All(float.IsFinite))
                Assert.Fail($"Text #{i} (length {texts[i].Length}) gave a vector of {first[i].Length} values, finite: {first[i].All(float.IsFinite)}.");
            if (!first[i].AsSpan().SequenceEqual(second[i]))
                Assert.Fail($"Text #{i} gave a different vector on the second pass.");
        }

        // Alone (no padding) vs inside a length-sorted, padded batch: the attention mask must hide the padding.
        int[] sample = [.. Enumerable.Range(0, 200).Select(i => i * (Count / 200))];
        float[][] alone = [.. sample.Select(i => encoder.Embed([texts[i]], settings)[0])];
        double worst = sample.Select((t, k) => first[t].Zip(alone[k], (a, b) => Math.Abs(a - b)).Max()).Max();
        Assert.That(worst, Is.LessThan(1e-4), "a vector changed with the batch it was padded into");

        // Sentence pairs and long-text windows take other tokenizer paths.
        string[] pairsA = texts[..2_000], pairsB = texts[2_000..4_000];
        var pairs = encoder.Embed(pairsA, settings with { Pooling = PoolingMode.Cls }, pairsB);
        var windows = encoder.Embed(texts[4_000..6_000], settings with { MaxTokens = 64, WindowStride = 32 });
        Assert.That(pairs.Concat(windows).All(v => v.Length > 0 && v.All(float.IsFinite)), Is.True);

        TestContext.Out.WriteLine($"{Count:N0} random texts (total {texts.Sum(t => (long)t.Length):N0} UTF-16 units, max {texts.Max(t => t.Length):N0}) " +
                                  $"embedded in {firstSeconds:F1} s per pass; alone-vs-batched max difference {worst:E1}");
    }
}
