using System.Diagnostics;
using MLNet.Transfer.Tests.MLNetIntegration;

namespace MLNet.Transfer.Tests.Reliability;

/// <summary>
/// One saved-and-loaded model (contextual embeddings + fine-tuned classifier) shared by 8 threads, each with its own
/// PredictionEngine: 10,000 predictions, every one bit-identical to what a single engine gives sequentially.
/// </summary>
[Category("Reliability")]
public class ConcurrentPredictionTests
{
    private const int Threads = 8, PredictionsPerThread = 1_250, DistinctTexts = 500;

    [Test]
    public void EightThreadsWithOwnEnginesMatchSequentialPredictionsBitForBit()
    {
        using var temp = TestModels.TempDir();
        var (mlContext, model) = TinyPipelines.SaveAndLoadChain(Path.Combine(temp.Path, "chain.zip"));
        var random = new Random(11);
        string[] texts = [.. Enumerable.Range(0, DistinctTexts).Select(i => i % 5 == 0 ? RandomUnicodeText.Next(random, 600) : $"sentence {i}: {RandomUnicodeText.Next(random, 200)}")];

        var clock = Stopwatch.StartNew();
        var sequentialEngine = mlContext.Model.CreatePredictionEngine<TextRow, ChainPrediction>(model);
        ChainPrediction[] expected = [.. texts.Select(t => Copy(sequentialEngine.Predict(new TextRow { Text = t })))];
        double sequentialSeconds = clock.Elapsed.TotalSeconds;
        Assert.That(expected.Select(p => p.PredictedLabel).Distinct().Count() + expected.Select(p => p.Score).Distinct().Count(), Is.GreaterThan(DistinctTexts / 2),
            "the model must give varied outputs, or the comparison proves nothing");

        var mismatches = new System.Collections.Concurrent.ConcurrentBag<string>();
        int done = 0;
        clock.Restart();
        WorkerThreads.Run(Threads, w =>
        {
            var engine = mlContext.Model.CreatePredictionEngine<TextRow, ChainPrediction>(model);
            var input = new TextRow();
            for (int k = 0; k < PredictionsPerThread; k++)
            {
                int index = (w * 61 + k * 7) % DistinctTexts; // each thread walks the texts in its own order
                input.Text = texts[index];
                var actual = engine.Predict(input);
                if (!Same(actual, expected[index])) mismatches.Add($"thread {w}, prediction {k}, text #{index}");
                Interlocked.Increment(ref done);
            }
        });
        double concurrentSeconds = clock.Elapsed.TotalSeconds;

        TestContext.Out.WriteLine($"{done:N0} predictions on {Threads} threads in {concurrentSeconds:F1} s ({done / concurrentSeconds:F0}/s); " +
                                  $"sequential reference ({DistinctTexts} texts) {DistinctTexts / sequentialSeconds:F0}/s; mismatches {mismatches.Count}");
        Assert.That(done, Is.EqualTo(Threads * PredictionsPerThread));
        Assert.That(mismatches, Is.Empty);
    }

    private static ChainPrediction Copy(ChainPrediction p) =>
        new() { Features = [.. p.Features], Score = p.Score, Probability = p.Probability, PredictedLabel = p.PredictedLabel };

    private static bool Same(ChainPrediction a, ChainPrediction b) =>
        a.Features.AsSpan().SequenceEqual(b.Features) && a.Score.Equals(b.Score) && a.Probability.Equals(b.Probability) && a.PredictedLabel == b.PredictedLabel;
}
