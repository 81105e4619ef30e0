using MLNet.Transfer.Encoders;
using MLNet.Transfer.Pretraining;
using MLNet.Transfer.Tests.Cli;
using MLNet.Transfer.Tests.Text;

namespace MLNet.Transfer.Tests.Pretraining;

/// <summary>The SimCSE term of language-model training (<see cref="PretrainingSettings.ContrastiveWeight"/>), on tiny random models.</summary>
public class SentenceContrastTests
{
    private static readonly string[] Corpus = TransformerLanguageModelTests.AlphabetCorpus(300, seed: 3);

    /// <summary>Trains a tiny masked LM (with dropout, which SimCSE's two views need) and returns it with its result.</summary>
    private static (TransformerLanguageModel Model, PretrainingResult Result) Train(double contrastiveWeight)
    {
        var lm = TransformerLanguageModel.FromScratch(TestModels.TinyConfig(31), TestVocab.Small(), LanguageModelObjective.MaskedLm, seed: 4);
        var settings = new PretrainingSettings
        {
            Steps = 150, BatchSize = 16, MaxTokens = 32, LearningRate = 3e-3, ValidFraction = 0.1, Seed = 2, ContrastiveWeight = contrastiveWeight,
        };
        return (lm, LanguageModelTrainer.Train(lm, Corpus, settings));
    }

    /// <summary>Mean cosine similarity between the mean-pooled embeddings of different corpus lines.</summary>
    private static double MeanPairwiseCosine(TransformerLanguageModel lm)
    {
        var lines = Corpus.Distinct().Take(60).ToArray();
        var vectors = lm.Encoder.Embed(lines, new EmbeddingSettings { Normalize = true });
        double sum = 0;
        int pairs = 0;
        for (int i = 0; i < vectors.Length; i++)
            for (int j = i + 1; j < vectors.Length; j++, pairs++)
                sum += vectors[i].Zip(vectors[j], (a, b) => (double)a * b).Sum();
        return sum / pairs;
    }

    [Category("Integration")]
    [Test]
    public void ContrastiveTermSpreadsSentenceEmbeddingsWhileTheLanguageModelStillLearns()
    {
        var (plain, plainResult) = Train(contrastiveWeight: 0);
        var (contrastive, contrastiveResult) = Train(contrastiveWeight: 1);
        using (plain)
        using (contrastive)
        {
            double plainCosine = MeanPairwiseCosine(plain), contrastiveCosine = MeanPairwiseCosine(contrastive);
            TestContext.Out.WriteLine($"mean pairwise cosine: LM only {plainCosine:F3}, LM + SimCSE {contrastiveCosine:F3}; held-out loss " +
                                      $"{plainResult.HeldOutLossAfter:F3} vs {contrastiveResult.HeldOutLossAfter:F3} (before {plainResult.HeldOutLossBefore:F3})");
            Assert.That(contrastiveCosine, Is.LessThan(plainCosine / 2), "SimCSE pushes different sentences apart");
            Assert.That(contrastiveResult.HeldOutLossAfter, Is.LessThan(contrastiveResult.HeldOutLossBefore * 0.85), "the masked LM still learns");
        }
    }

    [Category("Unit")]
    [Test]
    public void BadContrastiveSettingsNameTheSetting()
    {
        Assert.That(() => new PretrainingSettings { ContrastiveWeight = -1 }.Validate(128),
                    Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contain("ContrastiveWeight"));
        Assert.That(() => new PretrainingSettings { ContrastiveWeight = 1, ContrastiveTemperature = 0 }.Validate(128),
                    Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contain("ContrastiveTemperature"));
    }

    [Category("Unit")]
    [Test, NonParallelizable] // the CLI swaps Console.Out
    public void CliTakesTheContrastiveWeightAndRejectsANegativeOne()
    {
        using var temp = TestModels.TempDir();
        string corpus = Path.Combine(temp.Path, "corpus.txt");
        File.WriteAllLines(corpus, Corpus);

        var run = InProcessCli.Run("pretrain", "--corpus", corpus, "--model", "scratch", "--contrastive-weight", "1", "--steps", "2",
                                   "--batch-size", "8", "--max-tokens", "16", "--vocab-min-count", "1", "--output", Path.Combine(temp.Path, "lm"), "--json");
        Assert.That(run.Code, Is.EqualTo(0), run.Err);
        Assert.That(run.Out.Trim().Split('\n')[^1], Does.Contain("HeldOutLossAfter"));

        var bad = InProcessCli.Run("pretrain", "--corpus", corpus, "--model", "scratch", "--contrastive-weight", "-1", "--output", Path.Combine(temp.Path, "x"));
        Assert.That(bad.Code, Is.EqualTo(2));
        Assert.That(bad.Err, Does.Contain("--contrastive-weight must be a number between 0"));
    }
}
