using MLNet.Transfer.Encoders;
using MLNet.Transfer.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transfer.Tests.Reliability;

/// <summary>
/// TorchSharp turns numbers (and the alpha of <c>a + b</c>) into native Scalars that nothing keeps alive during the
/// native call; a finalizer run mid-call freed one and crashed the test host under load. These tests force the
/// garbage collector and its finalizers to run non-stop beside forward passes and optimizer steps.
/// </summary>
[Category("Reliability")]
public class GarbageCollectionRaceTests
{
    // More threads than cores: the OS then pauses threads in the middle of native calls, which is when a finalizer
    // can free a Scalar still in use.
    private const int Embedders = 6, Rounds = 150;

    [Test]
    public void EmbeddingsStayExactWhileFinalizersRunNonStop()
    {
        using var encoder = TinyPipelines.NewEncoder();
        var random = new Random(3);
        // Different lengths, so padding masks (and their Scalar arithmetic) are on the path.
        string[] texts = [.. Enumerable.Range(0, 24).Select(i => $"text {i} {RandomUnicodeText.Next(random, 10 + 15 * (i % 6))}")];
        var settings = new EmbeddingSettings { MaxTokens = 48, BatchSize = 8 };
        var expected = encoder.Embed(texts, settings);

        int mismatches = 0;
        using var embeddersDone = new CountdownEvent(Embedders);
        WorkerThreads.Run(Embedders + 1, w =>
        {
            if (w == Embedders)
            {
                while (!embeddersDone.IsSet) { GC.Collect(); GC.WaitForPendingFinalizers(); }
                return;
            }
            try
            {
                for (int round = 0; round < Rounds; round++)
                {
                    var actual = encoder.Embed(texts, settings);
                    for (int i = 0; i < texts.Length; i++)
                        if (!actual[i].AsSpan().SequenceEqual(expected[i])) Interlocked.Increment(ref mismatches);
                }
            }
            finally { embeddersDone.Signal(); }
        });
        Assert.That(mismatches, Is.Zero);
    }

    [Test]
    public void OptimizerStepsMatchTorchSharpsAdamWWhileFinalizersRunNonStop()
    {
        float[] Train(Func<Parameter[], OptimizerHelper> optimizer)
        {
            manual_seed(5);
            using var layer = nn.Linear(16, 4);
            using var opt = optimizer([.. layer.parameters()]);
            var x = randn(32, 16);
            var y = randn(32, 4);
            for (int step = 0; step < 25; step++)
            {
                using var scope = NewDisposeScope();
                opt.zero_grad();
                nn.functional.mse_loss(layer.call(x), y).backward();
                opt.step();
            }
            return layer.parameters().SelectMany(p => p.data<float>().ToArray()).ToArray();
        }

        var reference = Train(p => optim.AdamW(p, lr: 0.01, weight_decay: 0.1));
        float[]? safe = null;
        using var done = new CountdownEvent(1);
        WorkerThreads.Run(2, w =>
        {
            if (w == 1)
            {
                while (!done.IsSet) { GC.Collect(); GC.WaitForPendingFinalizers(); }
                return;
            }
            try { safe = Train(p => new ScalarSafeAdamW(p, lr: 0.01, weightDecay: 0.1)); }
            finally { done.Signal(); }
        });
        Assert.That(safe, Is.EqualTo(reference).Within(1e-6), "the same update as TorchSharp's AdamW");
        Assert.That(reference.Length, Is.EqualTo(16 * 4 + 4));
    }
}
