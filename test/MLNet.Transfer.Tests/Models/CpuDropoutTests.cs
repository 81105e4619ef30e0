using MLNet.Transfer.Models;
using MLNet.Transfer.Models.Bert;
using MLNet.Transfer.Models.Tagging;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.Transfer.Tests.Models;

/// <summary>
/// <see cref="CpuDropout"/> reproduces LibTorch's dropout bit for bit: the mask bernoulli_ would draw, the output and
/// gradient of nn.functional.dropout, and the default generator's position afterwards.
/// </summary>
[Category("Unit")]
public class CpuDropoutTests
{
    private static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    /// <summary>Sizes around the generator's 624-word block, and generator positions mid-block.</summary>
    [TestCase(7, 0, 1, 0.5)]
    [TestCase(1, 3, 311, 0.9)]
    [TestCase(2, 1001, 312, 0.9)]
    [TestCase(3, 5, 100_003, 0.9)]
    [TestCase(4, 623, 786_432, 0.3)]
    public void DrawsTheMaskBernoulliDrawsAndLeavesTheGeneratorWhereItWould(int seed, int drawnBefore, int length, double keep)
    {
        using var scope = NewDisposeScope();
        manual_seed(seed);
        rand(drawnBefore).Dispose();
        var reference = empty(length).bernoulli_(keep);
        var nextReference = rand(17);

        manual_seed(seed);
        rand(drawnBefore).Dispose();
        var mask = empty(length);
        CpuDropout.FillBernoulli(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(mask.bytes), keep);
        var next = rand(17);

        Assert.That(Same(mask, reference), Is.True, $"mask differs: {mask.sum().item<float>()} vs {reference.sum().item<float>()} ones");
        Assert.That(Same(next, nextReference), Is.True, "the generator continues elsewhere");
        Assert.That(mask.sum().item<float>() / length, Is.EqualTo(keep).Within(length < 1000 ? 0.5 : 0.01), "kept fraction");
    }

    [TestCase(0.1)]
    [TestCase(0.5)]
    public void OutputAndGradientEqualLibTorchsDropout(double p)
    {
        using var scope = NewDisposeScope();
        var input = randn(4, 13, 24);
        var grad = randn(4, 13, 24);
        (Tensor Output, Tensor Gradient) Run(Func<Tensor, Tensor> dropout)
        {
            manual_seed(11);
            var x = input.detach().requires_grad_(true);
            var y = dropout(x);
            y.backward([grad]);
            return (y.detach(), x.grad!);
        }
        var reference = Run(x => nn.functional.dropout(x, p, training: true));
        var ours = Run(x => CpuDropout.Apply(x, p, training: true));

        Assert.That(Same(ours.Output, reference.Output), Is.True);
        Assert.That(Same(ours.Gradient, reference.Gradient), Is.True);
        Assert.That(ours.Output.eq(0).sum().item<long>(), Is.GreaterThan(0), "some elements dropped");
    }

    [Test]
    public void OutsideTrainingOrWithoutDropoutReturnsTheInputAndDrawsNothing()
    {
        using var scope = NewDisposeScope();
        var x = randn(3, 5);
        manual_seed(5);
        var expected = rand(4);
        manual_seed(5);
        Assert.That(ReferenceEquals(CpuDropout.Apply(x, 0.1, training: false), x), Is.True);
        Assert.That(ReferenceEquals(CpuDropout.Apply(x, 0, training: true), x), Is.True);
        Assert.That(Same(rand(4), expected), Is.True);
    }

    [Test]
    public void NonContiguousInputFallsBackToLibTorch()
    {
        using var scope = NewDisposeScope();
        var x = randn(6, 8).t();
        manual_seed(3);
        var reference = nn.functional.dropout(x, 0.2, training: true);
        manual_seed(3);
        var ours = CpuDropout.Apply(x, 0.2, training: true);
        Assert.That(Same(ours, reference), Is.True);
    }

    private static BertModel TinyBert()
    {
        manual_seed(1);
        return new BertModel(new BertConfig { VocabSize = 50, HiddenSize = 16, NumHiddenLayers = 2, NumAttentionHeads = 2, IntermediateSize = 32, MaxPositionEmbeddings = 32 });
    }

    /// <summary>
    /// <paramref name="forward"/> of <paramref name="model"/> in training mode, then the backward of a weighted sum, once with
    /// LibTorch's dropout and once with ours from the same seed: outputs and every gradient must be bit-identical, and
    /// differ from eval mode (dropout was active).
    /// </summary>
    private static void AssertMatchesLibTorchsDropout(nn.Module model, Func<Tensor> forward)
    {
        model.train();
        Tensor? weights = null;
        (Tensor Output, Tensor[] Gradients) Step(bool libTorch)
        {
            CpuDropout.UseLibTorch = libTorch;
            try
            {
                manual_seed(9);
                foreach (var parameter in model.parameters()) parameter.grad = null;
                var output = forward();
                weights ??= randn_like(output);
                (output * weights).sum().backward();
                return (output.detach(), model.parameters().Where(p => p.grad is not null).Select(p => p.grad!.clone()).ToArray());
            }
            finally { CpuDropout.UseLibTorch = false; }
        }
        var reference = Step(libTorch: true);
        var ours = Step(libTorch: false);
        model.eval();
        Tensor evaluated;
        using (no_grad()) evaluated = forward();

        Assert.That(Same(ours.Output, reference.Output), Is.True, "outputs");
        Assert.That(ours.Gradients, Has.Length.EqualTo(reference.Gradients.Length).And.Length.GreaterThan(0));
        Assert.That(ours.Gradients.Zip(reference.Gradients).All(g => Same(g.First, g.Second)), Is.True, "gradients");
        Assert.That(Same(ours.Output, evaluated), Is.False, "dropout was active");
    }

    /// <summary>A BERT encoder in training mode (dropout after the embeddings, on the attention probabilities and after both
    /// residual projections) gives bit-identical states and gradients with LibTorch's dropout and with ours.</summary>
    [Test]
    public void BertTrainingForwardAndBackwardMatchLibTorchsDropout()
    {
        using var scope = NewDisposeScope();
        using var model = TinyBert();
        var ids = randint(1, 50, [3, 9], dtype: ScalarType.Int64);
        AssertMatchesLibTorchsDropout(model, () => model.Forward(ids, zeros_like(ids), null)[^1]);
    }

    /// <summary>The same for a tagger, whose head drops out the words' states too.</summary>
    [Test]
    public void TaggerTrainingForwardAndBackwardMatchLibTorchsDropout()
    {
        using var scope = NewDisposeScope();
        using var model = new TaggingModel(TinyBert(), new TaggerSpec(["O", "B-x", "I-x"], TaggingHead.Linear), headDropout: 0.3);
        var ids = randint(1, 50, [3, 9], dtype: ScalarType.Int64);
        var positions = tensor(new long[] { 1, 2, 4, 6, 1, 3, 5, 7, 2, 3, 4, 8 }).view(3, 4);
        AssertMatchesLibTorchsDropout(model, () => model.Emissions(ids, zeros_like(ids), ones_like(ids), positions));
    }
}
