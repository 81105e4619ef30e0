using MLNet.Transfer.Training;

namespace MLNet.Transfer.Tests.Training;

/// <summary>Fine-tuning with token-budget batches (<see cref="FineTuneSettings.TokensPerBatch"/>): step counts, schedule, determinism, resume.</summary>
[Category("Unit")]
public class TokenBudgetTrainingTests
{
    // TinyTask texts are 5..13 tokens: a budget of 16 × 32 tokens holds ~40-64 of them per step instead of 16.
    private static readonly FineTuneSettings Settings = new()
    {
        LearningRate = 3e-3, Epochs = 3, BatchSize = 16, MaxTokens = 32, TokensPerBatch = 16 * 32, Seed = 5,
    };

    [Test]
    public void ShortTextsTrainInFewerFullerStepsAndTheScheduleCountsThem()
    {
        var train = TinyTask.Examples(256, 1);
        var lengths = train.Select(e => e.Tokens.Length).ToArray();
        int expected = Enumerable.Range(0, Settings.Epochs)
            .Sum(epoch => TaskBatches.Shuffled(lengths, Settings.BatchSize, Settings.TokensPerBatch, unchecked(Settings.Seed * 1_000_003 + epoch)).Count);
        var reports = new List<TrainingProgress>();
        using var model = TinyTask.NewModel();
        var result = new FineTuner(model, Settings with { Epochs = 12 }, padId: 0).Train(train, TinyTask.Examples(64, 2));
        Assert.That(result.BestValidation!["task.accuracy"], Is.GreaterThan(0.9), "still learns with ~4× fewer, larger steps");

        using var counted = TinyTask.NewModel();
        var run = new FineTuner(counted, Settings, 0).Train(train, progress: new SyncProgress(reports.Add));
        Assert.That(run.Steps, Is.EqualTo(expected));
        Assert.That(run.Steps, Is.LessThan(3 * 16 / 2), "fixed batches of 16 would take 48 steps");
        Assert.That(reports.Select(r => r.TotalSteps).Distinct(), Is.EqualTo(new[] { expected }));
        Assert.That(reports[^1].LearningRate, Is.EqualTo(Settings.LearningRate * LearningRateSchedule.Multiplier(Settings.Schedule, expected - 1, expected, Settings.WarmupFraction)).Within(1e-15),
                    "the schedule runs over the budget's step count");
        Assert.That(reports.Select(r => r.Epoch), Is.Ordered);
        Assert.That(reports[^1].Epoch, Is.EqualTo(3));
    }

    [Test]
    public void SameSeedGivesBitIdenticalWeights()
    {
        using var a = TinyTask.NewModel();
        using var b = TinyTask.NewModel();
        new FineTuner(a, Settings, 0).Train(TinyTask.Examples(128, 1));
        new FineTuner(b, Settings, 0).Train(TinyTask.Examples(128, 1));
        Assert.That(TinyTask.Weights(a), Is.EqualTo(TinyTask.Weights(b)));
    }

    [Test]
    public void ResumingMidEpochEndsWithTheSameWeightsAsAnUninterruptedRun()
    {
        using var temp = TestModels.TempDir();
        var settings = Settings with { TokensPerBatch = 128, CheckpointDirectory = temp.Path, CheckpointEverySteps = 3 };
        var train = TinyTask.Examples(96, 1);

        using var reference = TinyTask.NewModel();
        int total = new FineTuner(reference, settings with { CheckpointDirectory = null }, 0).Train(train).Steps;
        Assert.That(total, Is.GreaterThan(8), "enough steps to interrupt mid-run");

        using var interrupted = TinyTask.NewModel();
        using var cancel = new CancellationTokenSource();
        var progress = new SyncProgress(p => { if (p.Step == 7) cancel.Cancel(); });
        Assert.Throws<OperationCanceledException>(() => new FineTuner(interrupted, settings, 0).Train(train, null, progress, cancel.Token));

        using var resumed = TinyTask.NewModel(seed: 99);
        var result = new FineTuner(resumed, settings, 0).Train(train);
        Assert.That(result.Steps, Is.EqualTo(total));
        Assert.That(TinyTask.Weights(resumed), Is.EqualTo(TinyTask.Weights(reference)));
    }

    [Test]
    public void EpochsOfDifferentLengthsMapStepsToTheirEpochAndBatch()
    {
        var plan = new TrainingLoopPlan
        {
            TotalSteps = 10, StepsPerEpoch = 3, EpochSteps = [3, 5, 2], Epochs = 3, Schedule = ScheduleKind.Constant, WarmupFraction = 0,
            EpochBatches = _ => [], Step = (_, _) => (0, 0),
        };
        Assert.That(Enumerable.Range(0, 10).Select(plan.EpochOf), Is.EqualTo(new[] { 0, 0, 0, 1, 1, 1, 1, 1, 2, 2 }));
        Assert.That(Enumerable.Range(0, 10).Select(plan.BatchOf), Is.EqualTo(new[] { 0, 1, 2, 0, 1, 2, 3, 4, 0, 1 }));
        Assert.That(Enumerable.Range(1, 10).Where(plan.EndsEpoch), Is.EqualTo(new[] { 3, 8, 10 }));
        var uniform = plan with { EpochSteps = null, TotalSteps = 9 };
        Assert.That(Enumerable.Range(1, 9).Where(uniform.EndsEpoch), Is.EqualTo(new[] { 3, 6, 9 }));
        Assert.That((uniform.EpochOf(7), uniform.BatchOf(7)), Is.EqualTo((2, 1)));
    }

    [Test]
    public void ANegativeBudgetIsRejectedByName()
    {
        using var model = TinyTask.NewModel();
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new FineTuner(model, Settings with { TokensPerBatch = -1 }, 0));
        Assert.That(e!.ParamName, Is.EqualTo(nameof(FineTuneSettings.TokensPerBatch)));
    }
}
