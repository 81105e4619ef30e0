using MLNet.Transfer.Models;
using MLNet.Transfer.Models.Bert;
using MLNet.Transfer.Models.Heads;
using MLNet.Transfer.Tests.Text;
using MLNet.Transfer.Text;
using static TorchSharp.torch;

namespace MLNet.Transfer.Tests.Models;

/// <summary>The OpenAI transformer's task inputs: last-token pooling, symmetric pairs, multiple choice (tiny random causal encoders).</summary>
[Category("Unit")]
public class CausalTaskInputTests
{
    private static TransferModel CausalModel(PoolingMode pooling, int outputs = 1)
    {
        manual_seed(4);
        var encoder = new BertModel(TestModels.TinyConfig(31) with { IsDecoder = true, HiddenDropoutProb = 0, AttentionProbsDropoutProb = 0 });
        var model = new TransferModel(encoder, [new TaskSpec("task", outputs == 1 ? TaskKind.Binary : TaskKind.Multiclass, outputs)], pooling, 0);
        using (no_grad()) foreach (var p in model.Head("task").parameters()) nn.init.normal_(p, 0, 1); // logits far from 0, so differences show
        model.eval();
        return model;
    }

    private static EncodedText Encode(string text) => TestVocab.Small().Encode(text, 32);

    [Test]
    public void LastTokenPoolingPicksEachRowsLastRealTokenUnderPadding()
    {
        // State at (row, position) = 100·row + position in every dimension: the pooled value names the position it came from.
        var values = new float[3 * 6 * 2];
        for (int r = 0; r < 3; r++) for (int t = 0; t < 6; t++) for (int d = 0; d < 2; d++) values[(r * 6 + t) * 2 + d] = 100 * r + t;
        using var states = tensor(values, [3, 6, 2]);
        using var mask = tensor(new long[] { 1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0 }, [3, 6]);
        using var pooled = Pooling.Pool(states, mask, PoolingMode.Last);
        Assert.That(pooled.data<float>().ToArray(), Is.EqualTo(new float[] { 2, 2, 105, 105, 200, 200 }));
    }

    [Test]
    public void ACausalEncodersLastTokenFeaturesDoNotDependOnPaddingOrBatchmates()
    {
        using var model = CausalModel(PoolingMode.Last);
        string[] texts = ["a b c", "d e f g h i j k", "x"];
        var items = texts.Select(Encode).ToArray();
        using var batch = TokenBatch.Create(items, 0, CPU);
        using var batched = model.Features(batch.InputIds, batch.TokenTypeIds, batch.AttentionMask);
        for (int i = 0; i < texts.Length; i++)
        {
            using var alone = TokenBatch.Create([items[i]], 0, CPU);
            using var single = model.Features(alone.InputIds, alone.TokenTypeIds, alone.AttentionMask);
            Assert.That(batched[i].data<float>().ToArray(), Is.EqualTo(single[0].data<float>().ToArray()).Within(1e-5), texts[i]);
        }
        Assert.That(batched[0].allclose(batched[1], 1e-3, 1e-3), Is.False, "different texts give different features");
    }

    [Test]
    public void SymmetricPairScoresDoNotDependOnTheOrderAndOneOrderingDoes()
    {
        using var model = CausalModel(PoolingMode.Last);
        string[] first = ["a b c d", "q r"], second = ["x y", "k l m n o"];
        var (ab, abReversed) = SymmetricPair.Encode(TestVocab.Small(), first, second, 32);
        var (ba, baReversed) = SymmetricPair.Encode(TestVocab.Small(), second, first, 32);
        using var abBatch = TokenBatch.Create(ab, 0, CPU);
        using var abReversedBatch = TokenBatch.Create(abReversed, 0, CPU);
        using var baBatch = TokenBatch.Create(ba, 0, CPU);
        using var baReversedBatch = TokenBatch.Create(baReversed, 0, CPU);
        using var _ = no_grad();

        var forward = SymmetricPair.Forward(model, abBatch, abReversedBatch)["task"].data<float>().ToArray();
        var backward = SymmetricPair.Forward(model, baBatch, baReversedBatch)["task"].data<float>().ToArray();
        Assert.That(backward, Is.EqualTo(forward).Within(1e-5), "(a; b) and (b; a) score the same");

        var oneOrder = model.Forward(abBatch.InputIds, abBatch.TokenTypeIds, abBatch.AttentionMask)["task"].data<float>().ToArray();
        var otherOrder = model.Forward(baBatch.InputIds, baBatch.TokenTypeIds, baBatch.AttentionMask)["task"].data<float>().ToArray();
        Assert.That(Math.Abs(oneOrder[0] - otherOrder[0]), Is.GreaterThan(1e-2), "a causal encoder reading one ordering is order-sensitive");
    }

    [Test]
    public void MultipleChoiceNormalisesTheScoresOfEachContextsCandidates()
    {
        using var scores = tensor(new float[] { 1, 2, 3, 0, 0, 0, -5, 10, 2 }, [9, 1]); // 3 contexts × 3 candidates
        using var logProbabilities = MultipleChoice.LogProbabilities(scores, 3);
        Assert.That(logProbabilities.shape, Is.EqualTo(new long[] { 3, 3 }));
        using var probabilities = logProbabilities.exp();
        Assert.That(probabilities.sum(1).data<float>().ToArray(), Is.EqualTo(new float[] { 1, 1, 1 }).Within(1e-6));
        Assert.That(probabilities[1].data<float>().ToArray(), Is.EqualTo(new float[] { 1 / 3f, 1 / 3f, 1 / 3f }).Within(1e-6), "equal scores, equal chances");
        double expected = 3 - Math.Log(Math.Exp(1) + Math.Exp(2) + Math.Exp(3));
        Assert.That(logProbabilities[0, 2].item<float>(), Is.EqualTo(expected).Within(1e-6));

        using var loss = MultipleChoice.Loss(scores, 3, [2, 0, 1]);
        double reference = -(logProbabilities[0, 2].item<float>() + logProbabilities[1, 0].item<float>() + logProbabilities[2, 1].item<float>()) / 3;
        Assert.That(loss.item<float>(), Is.EqualTo(reference).Within(1e-5));
        Assert.Throws<ArgumentException>(() => MultipleChoice.LogProbabilities(scores, 4), "9 scores are not groups of 4");
        Assert.Throws<ArgumentOutOfRangeException>(() => MultipleChoice.Loss(scores, 3, [3, 0, 0]));
    }
}
