using MLNet.Transfer.Models.Heads;
using MLNet.Transfer.Training.SemiSupervised;
using static TorchSharp.torch;

namespace MLNet.Transfer.Tests.SemiSupervised;

[Category("Unit")]
public class ConsistencyLossTests
{
    private static double Loss(TaskKind kind, float[,] original, float[,] augmented, double temperature, double confidence) =>
        ConsistencyLoss.Compute(kind, tensor(original), tensor(augmented), temperature, confidence).item<float>();

    [Test]
    public void IdenticalPredictionsWithoutSharpeningCostNothing()
    {
        var logits = new float[,] { { 2f, -1f, 0.5f }, { -3f, 4f, 1f } };
        Assert.That(Loss(TaskKind.Multiclass, logits, logits, temperature: 1, confidence: 0), Is.EqualTo(0).Within(1e-6));
        var binary = new float[,] { { 3f }, { -2f } };
        Assert.That(Loss(TaskKind.Binary, binary, binary, 1, 0), Is.EqualTo(0).Within(1e-6));
    }

    [Test]
    public void TheLossIsTheMeanKlOfTheConfidentRowsOnly()
    {
        // Row 0: p(original) = σ(3) = 0.953 ≥ 0.8 counts; row 1: σ(0.5) = 0.62 < 0.8 is masked out.
        var original = new float[,] { { 3f }, { 0.5f } };
        var augmented = new float[,] { { 0f }, { -4f } };
        double p = 1 / (1 + Math.Exp(-3)), q = 0.5;
        double kl = p * Math.Log(p / q) + (1 - p) * Math.Log((1 - p) / (1 - q));
        Assert.That(Loss(TaskKind.Binary, original, augmented, 1, 0.8), Is.EqualTo(kl / 2).Within(1e-5), "row 0's KL over the batch of 2");
        Assert.That(Loss(TaskKind.Binary, original, augmented, 1, 0.99), Is.EqualTo(0), "no row reaches 0.99: everything masked");
    }

    [Test]
    public void SharpeningTargetsTheTemperedDistribution()
    {
        var original = new float[,] { { 1f, 0f } };
        var augmented = new float[,] { { 2.5f, 0f } }; // softmax(original / 0.4) = softmax([2.5, 0])
        Assert.That(Loss(TaskKind.Multiclass, original, augmented, 0.4, 0), Is.EqualTo(0).Within(1e-6));
        Assert.That(Loss(TaskKind.Multiclass, original, original, 0.4, 0), Is.GreaterThan(0.01));
    }

    [Test]
    public void OnlyTheAugmentedSideGetsAGradient()
    {
        var original = tensor(new float[,] { { 2f }, { -2f } }).requires_grad_(true);
        var augmented = tensor(new float[,] { { 0f }, { 0f } }).requires_grad_(true);
        ConsistencyLoss.Compute(TaskKind.Binary, original, augmented, 0.4, 0.5).backward();
        Assert.That(original.grad is null || original.grad.abs().sum().item<float>() == 0, Is.True);
        Assert.That(augmented.grad!.abs().sum().item<float>(), Is.GreaterThan(0));
    }

    [Test]
    public void AnnealingLeavesOutTheLabelledRowsTheModelIsAlreadySureOf()
    {
        var logits = tensor(new float[,] { { 3f }, { 3f }, { 0f } }); // p(true) = 0.953, 0.953, 0.5
        float[]?[] targets = [[1f], [0f], [1f]];
        var annealed = ConsistencyLoss.Anneal(TaskKind.Binary, logits, targets, threshold: 0.9);
        Assert.That(annealed[0], Is.Null, "correct and above 0.9: no signal needed");
        Assert.That(annealed[1], Is.EqualTo(new[] { 0f }), "wrong: keeps learning");
        Assert.That(annealed[2], Is.EqualTo(new[] { 1f }), "0.5 is below the threshold");
        Assert.That(ConsistencyLoss.Anneal(TaskKind.Binary, logits, targets, 1.0), Is.EqualTo(targets), "η = 1 keeps everything");
    }

    [TestCase(AnnealingSchedule.Linear, 0, 100, 2, 0.5)]
    [TestCase(AnnealingSchedule.Linear, 50, 100, 2, 0.75)]
    [TestCase(AnnealingSchedule.Linear, 100, 100, 4, 1.0)]
    [TestCase(AnnealingSchedule.Log, 20, 100, 2, 0.816060)] // (1 − e^−1) / 2 + 1/2
    [TestCase(AnnealingSchedule.Exp, 80, 100, 2, 0.683940)] // e^−1 / 2 + 1/2
    [TestCase(AnnealingSchedule.Exp, 0, 100, 2, 0.503369)] // e^−5 / 2 + 1/2
    [TestCase(AnnealingSchedule.Exp, 0, 100, 3, 0.337825)] // e^−5 · 2/3 + 1/3
    [TestCase(AnnealingSchedule.None, 0, 100, 2, 1.0)]
    public void AnnealingThresholdsFollowTheSchedules(AnnealingSchedule schedule, int step, int total, int classes, double expected) =>
        Assert.That(TrainingSignalAnnealing.Threshold(schedule, step, total, classes), Is.EqualTo(expected).Within(1e-6));
}
