using MLNet.Transfer.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.Transfer.Tests.Training;

/// <summary><see cref="FusedAdamW"/>: the single-pass update agrees with TorchSharp's AdamW and is the same on 1 and 2 threads.</summary>
[Category("Unit")]
public class FusedAdamWTests
{
    /// <summary>10 steps on a 300 × 401 matrix (tails not a multiple of the SIMD width, several threads' chunks) and a bias.</summary>
    private static (float[] Weights, float[] Bias) Train(Func<IEnumerable<TorchSharp.Modules.Parameter>, optim.Optimizer> optimizer, int threads)
    {
        int previous = get_num_threads();
        set_num_threads(threads);
        try
        {
            manual_seed(7);
            using var layer = nn.Linear(401, 300);
            using var opt = optimizer(layer.parameters());
            using var x = randn(64, 401);
            using var y = randn(64, 300);
            for (int step = 0; step < 10; step++)
            {
                using var scope = NewDisposeScope();
                opt.zero_grad();
                nn.functional.mse_loss(layer.call(x), y).backward();
                opt.step();
            }
            return (layer.weight!.data<float>().ToArray(), layer.bias!.data<float>().ToArray());
        }
        finally { set_num_threads(previous); }
    }

    [Test]
    public void AgreesWithTorchSharpsAdamWAndDoesNotDependOnTheThreadCount()
    {
        var reference = Train(p => optim.AdamW(p, lr: 0.01, weight_decay: 0.1), 1);
        var fused = Train(p => new ScalarSafeAdamW(p, lr: 0.01, weightDecay: 0.1), 1);
        var twoThreads = Train(p => new ScalarSafeAdamW(p, lr: 0.01, weightDecay: 0.1), 2);
        manual_seed(7);
        using var initial = nn.Linear(401, 300);
        var start = initial.weight!.data<float>().ToArray();
        Assert.That(reference.Weights.Zip(start, (a, b) => Math.Abs(a - b)).Max(), Is.GreaterThan(0.05), "the weights moved (10 steps of lr 0.01)");
        Assert.That(fused.Weights, Is.EqualTo(reference.Weights).Within(1e-6));
        Assert.That(fused.Bias, Is.EqualTo(reference.Bias).Within(1e-6));
        Assert.That(twoThreads.Weights, Is.EqualTo(fused.Weights), "elementwise: bit-identical on any thread count");
        Assert.That(twoThreads.Bias, Is.EqualTo(fused.Bias));
    }

    [Test]
    public void AppliesOnlyToContiguousFloat32CpuTensorsOfOneSize()
    {
        using var a = zeros(4, 6);
        using var b = zeros(4, 6);
        using var t = a.t();
        using var half = zeros(4, 6, dtype: ScalarType.BFloat16);
        using var other = zeros(5);
        Assert.That(FusedAdamW.Applies(a, b, b, b), Is.True);
        Assert.That(FusedAdamW.Applies(a, t, b, b), Is.False, "a transposed view is not contiguous");
        Assert.That(FusedAdamW.Applies(a, half, b, b), Is.False);
        Assert.That(FusedAdamW.Applies(a, other, b, b), Is.False);
    }
}
