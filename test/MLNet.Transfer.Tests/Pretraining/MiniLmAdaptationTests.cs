using MLNet.Transfer.Encoders;
using MLNet.Transfer.Pretraining;

namespace MLNet.Transfer.Tests.Pretraining;

/// <summary>Domain adaptation of the real all-MiniLM-L6-v2 on unlabelled movie-review snippets.</summary>
[Category("Integration")]
[Category("SharedData")]
public class MiniLmAdaptationTests
{
    [Test]
    public void TwentyStepsOnMovieSnippetsLowerTheHeldOutMaskedLmLoss()
    {
        var lines = File.ReadLines(SharedData.Path("unlabelled", "rt-snippets-minus-sst2-dev.txt")).Take(300).ToArray();
        using var encoder = PretrainedEncoder.Load("minilm"); // a private copy: TestModels.MiniLm must stay untrained
        var settings = new PretrainingSettings { Steps = 20, BatchSize = 16, MaxTokens = 64, LearningRate = 1e-4, ValidFraction = 0.2, Seed = 1 };
        var result = LanguageModelTrainer.Adapt(encoder, lines, settings);
        TestContext.Out.WriteLine($"held-out loss {result.HeldOutLossBefore:F3} → {result.HeldOutLossAfter:F3}, perplexity {result.PerplexityBefore:F0} → " +
                                  $"{result.PerplexityAfter:F0}, accuracy {result.Before.Accuracy:P1} → {result.After.Accuracy:P1} over {result.After.Predictions} tokens; " +
                                  $"{result.TokensPerSecond:F0} tokens/s, {result.Duration.TotalSeconds:F1} s");
        Assert.That(result.HeldOutLines, Is.EqualTo(60));
        Assert.That(result.After.Predictions, Is.EqualTo(result.Before.Predictions), "same fixed masking before and after");
        Assert.That(result.HeldOutLossAfter, Is.LessThan(result.HeldOutLossBefore));
        Assert.That(result.AfterHeadWarmup, Is.Not.Null, "minilm has no LM head: by default the random head is trained alone first");
        TestContext.Out.WriteLine($"after 20 head-only steps: {result.AfterHeadWarmup!.Loss:F3}");
        Assert.That(encoder.Model.training, Is.False, "the adapted encoder is back in eval mode");
    }
}
