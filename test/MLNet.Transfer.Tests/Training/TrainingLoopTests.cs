using MLNet.Transfer.Training;
using static TorchSharp.torch;

namespace MLNet.Transfer.Tests.Training;

/// <summary>The shared training loop with a fake step and evaluation: early stopping, best-weight restore, the loss window, clean-up.</summary>
[Category("Unit")]
public class TrainingLoopTests
{
    /// <summary>A one-weight model whose step writes the step number into the weight, so the restored weight names its step.</summary>
    private sealed class Fixture : IDisposable
    {
        public readonly nn.Module Model = nn.Linear(1, 1, hasBias: false);
        public readonly List<ParameterGroup> Groups;
        public readonly ScalarSafeAdamW Optimizer;

        public Fixture(int depth = 0)
        {
            var weight = Model.parameters().Single();
            Groups = [new ParameterGroup(depth, 0.1, 0, ["weight"], [weight])];
            Optimizer = new ScalarSafeAdamW(Groups, 0.1);
        }

        public float Weight => Model.parameters().Single().item<float>();

        public void SetWeight(int value)
        {
            using var _ = no_grad();
            using var source = tensor(new float[] { value }, [1, 1]);
            Model.parameters().Single().copy_(source);
        }

        public TrainingLoopPlan Plan(Func<int[], int, (double, long)> step) => new()
        {
            TotalSteps = 20, StepsPerEpoch = 5, Epochs = 4, Schedule = ScheduleKind.Constant, WarmupFraction = 0,
            EpochBatches = epoch => Enumerable.Range(0, 5).Select(i => new[] { epoch * 5 + i }).ToList(),
            Step = step,
        };

        public void Dispose()
        {
            Optimizer.Dispose();
            Model.Dispose();
        }
    }

    private sealed class Recorder : IProgress<TrainingProgress>
    {
        public readonly List<TrainingProgress> Reports = [];
        public void Report(TrainingProgress value) => Reports.Add(value);
    }

    [Test]
    public void EarlyStoppingStopsAfterThePatienceAndPutsBackTheBestEvaluationsWeights()
    {
        using var f = new Fixture();
        double[] scores = [0.1, 0.5, 0.3, 0.2, 0.9];
        int evaluations = 0;
        var progress = new Recorder();
        var plan = f.Plan((rows, step) => { f.SetWeight(step); return (step == 0 ? double.NaN : step, 3); }) with
        {
            Evaluate = () => new Dictionary<string, double> { ["score"] = scores[evaluations++], ["step"] = f.Weight },
            EvaluatesAfter = done => done % 2 == 0,
            ScoreMetric = "score", RestoreBestWeights = true, EarlyStoppingPatience = 2,
        };
        var loop = new TrainingLoop(f.Model, f.Optimizer, f.Groups, plan);
        Assert.That(loop.ResumeOrSeed("", 1), Is.False, "no checkpoint folder: a fresh run");
        var result = loop.Run(progress, CancellationToken.None);

        Assert.That(result.StoppedEarly, Is.True);
        Assert.That(result.Steps, Is.EqualTo(8), "evaluations after steps 2, 4 (best), 6 and 8: two without improvement");
        Assert.That(result.History.Select(h => h.Validation!["score"]), Is.EqualTo(new[] { 0.1, 0.5, 0.3, 0.2 }));
        Assert.That(result.BestMetrics!["score"], Is.EqualTo(0.5));
        Assert.That(f.Weight, Is.EqualTo(3f), "the weights of the evaluation after step 4 (written by step index 3)");
        Assert.That(result.Tokens, Is.EqualTo(8 * 3));
        Assert.That(result.RecentLoss, Is.EqualTo(Enumerable.Range(1, 7).Average()), "the NaN of step 1 is left out of the mean");
        Assert.That(progress.Reports.Select(p => p.Step), Is.EqualTo(Enumerable.Range(1, 8)));
        Assert.That(double.IsNaN(progress.Reports[0].Loss), Is.True, "no loss yet after a step with nothing to learn from");
        Assert.That(progress.Reports.Select(p => p.Epoch), Is.EqualTo(new[] { 1, 1, 1, 1, 1, 2, 2, 2 }));
        Assert.That(progress.Reports.All(p => p.LearningRate == 0.1 && p.TotalSteps == 20 && p.Epochs == 4), Is.True);
        Assert.That(f.Model.training, Is.False, "the model ends in eval mode");
    }

    [Test]
    public void TheLossWindowHoldsTheLastTwentySteps()
    {
        using var f = new Fixture();
        var result = new TrainingLoop(f.Model, f.Optimizer, f.Groups, f.Plan((rows, step) => (step, 1))).Run(null, CancellationToken.None);
        Assert.That(result.Steps, Is.EqualTo(20));
        Assert.That(result.RecentLoss, Is.EqualTo(Enumerable.Range(0, 20).Average()));
        var longer = new TrainingLoop(f.Model, f.Optimizer, f.Groups, f.Plan((rows, step) => (step, 1)) with { TotalSteps = 25 }).Run(null, CancellationToken.None);
        Assert.That(longer.RecentLoss, Is.EqualTo(Enumerable.Range(5, 20).Average()));
    }

    [Test]
    public void CancellationLeavesEveryParameterTrainableAndTheModelInEvalMode()
    {
        using var f = new Fixture(depth: 2); // frozen in epoch 0 when one block thaws per epoch
        using var cancel = new CancellationTokenSource();
        bool? trainableDuringStep = null;
        var plan = f.Plan((rows, step) =>
        {
            trainableDuringStep = f.Model.parameters().Single().requires_grad;
            cancel.Cancel();
            return (1, 1);
        }) with { UnfreezeBlocksPerEpoch = 1 };
        var loop = new TrainingLoop(f.Model, f.Optimizer, f.Groups, plan);
        Assert.Throws<OperationCanceledException>(() => loop.Run(null, cancel.Token));
        Assert.That(trainableDuringStep, Is.False, "gradual unfreezing froze the depth-2 group in the first epoch");
        Assert.That(f.Model.parameters().Single().requires_grad, Is.True);
        Assert.That(f.Model.training, Is.False);
    }
}
