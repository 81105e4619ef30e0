using MLNet.Transfer.Models;
using MLNet.Transfer.Text;
using MLNet.Transfer.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transfer.Tests.Training;

/// <summary>Contrastive tuning's divergence stop and its clipping setting.</summary>
[Category("Unit")]
public class ContrastiveTunerTests
{
    /// <summary>
    /// An encoder whose loss is finite but whose gradient is not: it adds sqrt(z) with z = 0, which is 0 going forward
    /// and has an infinite derivative going back.
    /// </summary>
    private sealed class InfiniteGradientEncoder : TextEncoder
    {
        private readonly Embedding embeddings;
        private readonly Parameter zero;

        public InfiniteGradientEncoder() : base("infinite-gradient")
        {
            manual_seed(1);
            embeddings = nn.Embedding(40, 8);
            zero = nn.Parameter(zeros(1));
            RegisterComponents();
        }

        public override string ModelType => "test";
        public override int LayerCount => 0;
        public override int LayerWidth(int layer) => 8;
        public override int MaxTokens => 32;
        public override int VocabSize => 40;
        public override bool LowerCase => true;
        public override Device Device => CPU;
        public override int LayerOf(string parameterName) => 0;
        public override string ToConfigJson() => "{}";
        public override Tensor[] Forward(Tensor inputIds, Tensor tokenTypeIds, Tensor? attentionMask) => [embeddings.call(inputIds).Plus(zero.sqrt())];
    }

    private static readonly EncodedText[] Texts = [.. Enumerable.Range(0, 8).Select(i => new EncodedText([2, 10 + i, 20 + i, 3], [0, 0, 0, 0]))];
    private static readonly int[] Labels = [0, 1, 0, 1, 0, 1, 0, 1];

    [Test]
    public void ANonFiniteGradientNormStopsTuningBeforeTheWeightsChange()
    {
        using var encoder = new InfiniteGradientEncoder();
        var before = TinyTask.Weights(encoder);
        var settings = new ContrastiveSettings { Iterations = 1, BatchSize = 4 };
        var error = Assert.Throws<TrainingDivergedException>(() => ContrastiveTuner.Train(encoder, Texts, Labels, settings, padId: 0));
        Assert.That(error!.Message, Does.StartWith("Contrastive tuning diverged at step 1: the gradient norm is").And.EndWith("Lower the learning rate."));
        Assert.That(TinyTask.Weights(encoder), Is.EqualTo(before), "the step was refused before the optimizer touched the weights");
        Assert.That(encoder.training, Is.False, "the encoder is left in eval mode");
    }

    [Test]
    public void WithoutClippingTheGradientNormIsNotCheckedAndNegativeBoundsAreRejected()
    {
        using var encoder = new InfiniteGradientEncoder();
        var settings = new ContrastiveSettings { Iterations = 1, BatchSize = 4, MaxGradNorm = 0 };
        // No clipping, so no norm: the infinite gradient reaches the weights and the next step's loss is NaN.
        var error = Assert.Throws<TrainingDivergedException>(() => ContrastiveTuner.Train(encoder, Texts, Labels, settings, padId: 0));
        Assert.That(error!.Message, Does.StartWith("Contrastive tuning diverged at step 2: the loss is NaN"));
        Assert.That(() => new ContrastiveSettings { MaxGradNorm = -1 }.Validate(), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contain("MaxGradNorm"));
        Assert.That(new ContrastiveSettings().MaxGradNorm, Is.EqualTo(1.0), "the clip the tuner always used");
    }
}
