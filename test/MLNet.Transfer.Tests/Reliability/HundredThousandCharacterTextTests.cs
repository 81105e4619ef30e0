using System.Diagnostics;
using System.Text;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.Models;
using MLNet.Transfer.Tests.MLNetIntegration;
using MLNet.Transfer.Text;

namespace MLNet.Transfer.Tests.Reliability;

/// <summary>
/// Texts of 100,000 characters (words, one unbroken "word", CJK where every character is a token, emoji, hostile
/// mix) through embedding — truncated every way and as overlapping windows covering the whole text — and through a
/// loaded fine-tuned model's PredictionEngine: finite outputs, quickly. (Tokenizer alone: Text/TokenizerRobustnessTests.)
/// </summary>
[Category("Reliability")]
public class HundredThousandCharacterTextTests
{
    private const int Length = 100_000;

    private static Dictionary<string, string> Texts()
    {
        var random = new Random(9);
        var mixed = new StringBuilder();
        while (mixed.Length < Length) mixed.Append(RandomUnicodeText.Next(random)).Append(' ');
        var words = new StringBuilder();
        while (words.Length < Length) words.Append("the service was slow but the food was wonderful . ");
        return new()
        {
            ["words"] = words.ToString(0, Length),
            ["one unbroken word"] = new string('x', Length),
            ["CJK"] = string.Concat(Enumerable.Range(0, Length).Select(i => (char)(0x4E00 + i % 20_000))),
            ["emoji"] = string.Concat(Enumerable.Repeat("😀👍🏽", Length / 6)),
            ["hostile mix"] = mixed.ToString(0, Length),
        };
    }

    [Test]
    public void EmbeddingTruncatesOrWindowsAHundredThousandCharacters()
    {
        using var encoder = TinyPipelines.NewEncoder();
        var texts = Texts();
        var lines = new List<string>();
        foreach (var (name, text) in texts)
        {
            var clock = Stopwatch.StartNew();
            foreach (TruncationStrategy truncation in Enum.GetValues<TruncationStrategy>())
            {
                var vector = encoder.Embed([text, "short"], new EmbeddingSettings { MaxTokens = 128, Truncation = truncation })[0];
                Assert.That(vector.All(float.IsFinite), Is.True, $"{name}, {truncation}");
            }
            double truncatedMs = clock.Elapsed.TotalMilliseconds;
            clock.Restart();
            int windows = encoder.Tokenizer.EncodeWindows(text, 128, 96).Count;
            var whole = encoder.Embed([text], new EmbeddingSettings { MaxTokens = 128, WindowStride = 96, Pooling = PoolingMode.MeanMax, BatchSize = 64 })[0];
            Assert.That(whole.All(float.IsFinite), Is.True, $"{name}, windows");
            lines.Add($"{name}: 3 truncations {truncatedMs:F0} ms, {windows:N0} windows {clock.Elapsed.TotalMilliseconds:F0} ms");
            Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(20)), name);
        }
        TestContext.Out.WriteLine(string.Join("; ", lines));
    }

    [Test]
    public void LoadedFineTunedModelPredictsAHundredThousandCharacters()
    {
        using var temp = TestModels.TempDir();
        var (mlContext, model) = TinyPipelines.SaveAndLoadChain(Path.Combine(temp.Path, "chain.zip"));
        var engine = mlContext.Model.CreatePredictionEngine<TextRow, ChainPrediction>(model);
        var texts = Texts();
        float headScore = engine.Predict(new TextRow { Text = texts["words"][..2_000] }).Score;
        foreach (var (name, text) in texts)
        {
            var clock = Stopwatch.StartNew();
            var prediction = engine.Predict(new TextRow { Text = text });
            Assert.That(prediction.Score, Is.Not.NaN.And.Not.EqualTo(float.PositiveInfinity).And.Not.EqualTo(float.NegativeInfinity), name);
            Assert.That(prediction.Probability, Is.InRange(0f, 1f), name);
            Assert.That(prediction.Features.All(float.IsFinite), Is.True, name);
            Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)), name);
            if (name == "words") Assert.That(prediction.Score, Is.EqualTo(headScore), "head truncation keeps the same first 64 tokens as of the first 2,000 characters");
        }
    }
}
