using MLNet.Transfer.Models;
using MLNet.Transfer.Models.Bert;
using MLNet.Transfer.Runtime;
using MLNet.Transfer.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.Transfer.Tests.Training;

/// <summary>bf16 mixed-precision training (<see cref="TrainingPrecision.BFloat16Mixed"/>, <see cref="BFloat16Autocast"/>).</summary>
[Category("Unit")]
public class MixedPrecisionTrainingTests
{
    private static readonly FineTuneSettings Settings = new()
    {
        LearningRate = 3e-3, Epochs = 2, BatchSize = 16, MaxTokens = 32, Seed = 5, HeadDropout = 0,
    };

    private static List<double> Losses(TrainingPrecision precision, out float[] weights)
    {
        var losses = new List<double>();
        using var model = TinyTask.NewModel();
        new FineTuner(model, Settings with { Precision = precision }, 0).Train(TinyTask.Examples(96, 1), progress: new SyncProgress(p => losses.Add(p.Loss)));
        weights = TinyTask.Weights(model);
        return losses;
    }

    [Test]
    public void BFloat16TrainingLossStaysCloseToFloat32ButIsNotTheSameArithmetic()
    {
        var fp32 = Losses(TrainingPrecision.Float32, out var fp32Weights);
        var bf16 = Losses(TrainingPrecision.BFloat16Mixed, out var bf16Weights);
        Assert.That(bf16, Has.Count.EqualTo(fp32.Count).And.Count.EqualTo(12));
        for (int s = 0; s < fp32.Count; s++)
            Assert.That(bf16[s], Is.EqualTo(fp32[s]).Within(0.02), $"mean loss after step {s + 1}");
        Assert.That(bf16, Is.Not.EqualTo(fp32), "bf16 products must round differently from fp32");
        Assert.That(bf16Weights.Zip(fp32Weights, (a, b) => Math.Abs(a - b)).Max(), Is.InRange(1e-6, 0.05), "weights differ a little, not a lot");
    }

    [Test]
    public void BFloat16TrainingIsDeterministicAndKeepsFloat32MasterWeights()
    {
        var first = Losses(TrainingPrecision.BFloat16Mixed, out var a);
        var second = Losses(TrainingPrecision.BFloat16Mixed, out var b);
        Assert.That(second, Is.EqualTo(first));
        Assert.That(b, Is.EqualTo(a));
        using var model = TinyTask.NewModel();
        new FineTuner(model, Settings with { Precision = TrainingPrecision.BFloat16Mixed, Epochs = 1 }, 0).Train(TinyTask.Examples(32, 1));
        Assert.That(model.parameters().Select(p => p.dtype).Distinct(), Is.EqualTo(new[] { ScalarType.Float32 }));
        Assert.That(BFloat16Autocast.IsActive, Is.False, "the scope closes with the step");
    }

    [Test]
    public void AutocastMultipliesDenseLayersInBFloat16OnlyInsideItsScope()
    {
        manual_seed(3);
        using var linear = nn.Linear(64, 48);
        using var x = randn(8, 64);
        using var exact = linear.call(x);
        using var outside = BFloat16Linear.Apply(linear, null, x);
        Assert.That(outside.eq(exact).all().item<bool>(), Is.True);
        Tensor inside;
        using (BFloat16Autocast.Enter())
        using (BFloat16Autocast.Enter())
        {
            Assert.That(BFloat16Autocast.IsActive, Is.True);
            inside = BFloat16Linear.Apply(linear, null, x);
        }
        Assert.That(BFloat16Autocast.IsActive, Is.False, "nested scopes close");
        using (inside)
        {
            Assert.That(inside.dtype, Is.EqualTo(ScalarType.Float32));
            double error = (inside - exact).abs().max().item<float>(), scale = exact.abs().max().item<float>();
            Assert.That(error, Is.GreaterThan(0), "bf16 rounding shows");
            Assert.That(error / scale, Is.LessThan(0.02));
            inside.sum().backward();
        }
        using var grad = linear.weight!.grad!;
        Assert.That(grad.dtype, Is.EqualTo(ScalarType.Float32), "gradients reach the fp32 master weight in fp32");
        Assert.That(grad.abs().sum().item<float>(), Is.GreaterThan(0));
    }

    [Test]
    public void AutoUsesBFloat16ExactlyWhereTheCpuHasBFloat16Units()
    {
        Assert.That(new FineTuneSettings { Precision = TrainingPrecision.Auto }.UsesBFloat16(CPU), Is.EqualTo(CpuFeatures.HasBFloat16Units));
        Assert.That(new FineTuneSettings { Precision = TrainingPrecision.Float32 }.UsesBFloat16(CPU), Is.False);
        Assert.That(new FineTuneSettings { Precision = TrainingPrecision.BFloat16Mixed }.UsesBFloat16(CPU), Is.True);
        Assert.That(CpuFeatures.ListsBFloat16Units("processor\t: 0\nflags\t\t: fpu avx2 avx512f avx512_bf16 avx512_vnni\n"), Is.True);
        Assert.That(CpuFeatures.ListsBFloat16Units("flags\t\t: fpu amx_tile amx_bf16\n"), Is.True);
        Assert.That(CpuFeatures.ListsBFloat16Units("flags\t\t: fpu avx2 avx512f avx512_vnni\nbugs\t\t: avx512_bf16\n"), Is.False, "only the flags line counts");
    }
}
