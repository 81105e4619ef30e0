using MLNet.Transfer.Encoders;
using MLNet.Transfer.Text;
using static TorchSharp.torch;

namespace MLNet.Transfer.Tests.Encoders;

/// <summary>
/// The opt-in bf16 inference (<c>BertModel.UseBFloat16Inference</c>) stays close to fp32, is exactly fp32 again when
/// switched off or when gradients are recorded, and follows weight changes made in training mode.
/// </summary>
[Category("Integration")]
public class BFloat16InferenceTests
{
    private static readonly string[] Texts =
    [
        "This is an example sentence", "The film was a delight from start to finish.", "I want to transfer money to my savings account",
        "Battery died after two days, would not buy again!", "hello world",
    ];

    private static double MinCosine(float[][] a, float[][] b) => a.Zip(b).Min(p =>
    {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < p.First.Length; i++)
        {
            dot += (double)p.First[i] * p.Second[i];
            na += (double)p.First[i] * p.First[i];
            nb += (double)p.Second[i] * p.Second[i];
        }
        return dot / Math.Sqrt(na * nb);
    });

    private static float MaxDifference(Tensor a, Tensor b) => (a - b).abs().max().item<float>();

    [Test]
    public void VectorsStayWithinCosine09999OfFp32AndSwitchingOffRestoresFp32Exactly()
    {
        using var encoder = TestModels.MiniLm.Clone();
        var fp32 = encoder.Embed(Texts);

        encoder.UseBFloat16Inference();
        Assert.That(encoder.BFloat16Inference, Is.True);
        var bf16 = encoder.Embed(Texts);
        double cosine = MinCosine(fp32, bf16);
        TestContext.Out.WriteLine($"min cosine bf16 vs fp32: {cosine:F7}");
        Assert.That(cosine, Is.GreaterThan(0.9999));
        Assert.That(bf16.Zip(fp32).Any(p => !p.First.SequenceEqual(p.Second)), Is.True, "bf16 must actually be used");

        encoder.UseBFloat16Inference(false);
        Assert.That(encoder.Embed(Texts), Is.EqualTo(fp32));
    }

    [Test]
    public void ForwardWithGradientsRecordedRunsInFp32()
    {
        using var encoder = TestModels.MiniLm.Clone();
        using var scope = NewDisposeScope();
        using var tokens = TokenBatch.Create(Texts.Select(t => encoder.Tokenizer.Encode(t, 32)).ToArray(), encoder.Tokenizer.PadId);
        var fp32 = encoder.Model.Forward(tokens.InputIds, tokens.TokenTypeIds, tokens.AttentionMask)[^1].detach();

        encoder.UseBFloat16Inference();
        var withGrad = encoder.Model.Forward(tokens.InputIds, tokens.TokenTypeIds, tokens.AttentionMask)[^1].detach();
        Assert.That(MaxDifference(fp32, withGrad), Is.Zero, "gradients enabled: fp32 path");
        using (no_grad())
        {
            var reduced = encoder.Model.Forward(tokens.InputIds, tokens.TokenTypeIds, tokens.AttentionMask)[^1];
            Assert.That(MaxDifference(fp32, reduced), Is.GreaterThan(0), "no gradients: bf16 path");
        }
    }

    [Test]
    public void ReturningToEvalModeAfterTrainingRefreshesTheBf16Weights()
    {
        using var encoder = TestModels.MiniLm.Clone();
        encoder.UseBFloat16Inference();
        encoder.Model.train();
        using (no_grad())
        {
            // A visible weight change made "during training": halve every parameter of the first block's feed-forward.
            foreach (var (name, parameter) in encoder.Model.named_parameters())
                if (name.StartsWith("encoder.layer.0.intermediate.", StringComparison.Ordinal))
                    parameter.mul_(0.5);
        }
        encoder.Model.eval();
        var bf16 = encoder.Embed(Texts);

        encoder.UseBFloat16Inference(false);
        var fp32 = encoder.Embed(Texts);
        Assert.That(MinCosine(fp32, bf16), Is.GreaterThan(0.9999), "bf16 copies were taken from the changed weights");
        Assert.That(MinCosine(TestModels.MiniLm.Embed(Texts), fp32), Is.LessThan(0.9999), "the change is visible");
    }
}
