using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.Transfer.Tests;

/// <summary>Proves LibTorch loads on this machine (the GLIBCXX build fix) and the basics work.</summary>
[Category("Unit")]
public class NativeRuntimeTests
{
    [Test]
    public void TensorOpsMatmulTrainingStepAndSaveLoadWork()
    {
        using var scope = torch.NewDisposeScope();
        var ones = torch.ones(2, 3);
        Assert.That(ones.sum().item<float>(), Is.EqualTo(6f));

        var a = torch.tensor(new float[] { 1, 2, 3, 4 }, 2, 2);
        var product = torch.matmul(a, a);
        Assert.That(product.data<float>().ToArray(), Is.EqualTo(new float[] { 7, 10, 15, 22 }));

        torch.manual_seed(1);
        var linear = nn.Linear(4, 1);
        var optimizer = optim.AdamW(linear.parameters(), lr: 0.1);
        var x = torch.randn(16, 4);
        var y = x.sum(1, keepdim: true);
        float firstLoss = 0, lastLoss = 0;
        for (int step = 0; step < 50; step++)
        {
            optimizer.zero_grad();
            var loss = nn.functional.mse_loss(linear.call(x), y);
            loss.backward();
            optimizer.step();
            if (step == 0) firstLoss = loss.item<float>();
            lastLoss = loss.item<float>();
        }
        Assert.That(lastLoss, Is.LessThan(firstLoss * 0.1f));

        string path = Path.Combine(Path.GetTempPath(), $"linear-{Guid.NewGuid():N}.bin");
        try
        {
            linear.save(path);
            var restored = nn.Linear(4, 1);
            restored.load(path);
            Assert.That(restored.call(x).data<float>().ToArray(), Is.EqualTo(linear.call(x).data<float>().ToArray()));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
