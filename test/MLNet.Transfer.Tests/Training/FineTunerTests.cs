using MLNet.Transfer.Training;
using static TorchSharp.torch;

namespace MLNet.Transfer.Tests.Training;

[Category("Unit")]
public class FineTunerTests
{
    private static readonly FineTuneSettings Settings = new()
    {
        LearningRate = 3e-3, Epochs = 4, BatchSize = 16, MaxTokens = 32, WarmupFraction = 0.1, Seed = 5,
    };

    [Test]
    public void LearnsTheSyntheticTask()
    {
        using var model = TinyTask.NewModel();
        var result = new FineTuner(model, Settings, padId: 0).Train(TinyTask.Examples(256, 1), TinyTask.Examples(64, 2));
        Assert.That(result.BestValidation!["task.accuracy"], Is.GreaterThan(0.9));
        Assert.That(result.Steps, Is.EqualTo(4 * 16));
    }

    [Test]
    public void SameSeedGivesBitIdenticalWeights()
    {
        using var a = TinyTask.NewModel();
        using var b = TinyTask.NewModel();
        new FineTuner(a, Settings with { Epochs = 2 }, 0).Train(TinyTask.Examples(64, 1));
        new FineTuner(b, Settings with { Epochs = 2 }, 0).Train(TinyTask.Examples(64, 1));
        Assert.That(TinyTask.Weights(a), Is.EqualTo(TinyTask.Weights(b)));
    }

    [Test]
    public void FrozenBlocksDoNotMoveInTheFirstEpoch()
    {
        using var model = TinyTask.NewModel();
        var before = model.Encoder.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        new FineTuner(model, Settings with { Epochs = 1, UnfreezeBlocksPerEpoch = 1 }, 0).Train(TinyTask.Examples(64, 1));
        foreach (var (name, tensor) in model.Encoder.state_dict())
            Assert.That(tensor.eq(before[name]).all().item<bool>(), Is.True, $"{name} changed while frozen");
        foreach (var t in before.Values) t.Dispose();
    }

    [Test]
    public void ResumingFromACheckpointEndsWithTheSameWeightsAsAnUninterruptedRun()
    {
        using var temp = TestModels.TempDir();
        var settings = Settings with { Epochs = 2, CheckpointDirectory = temp.Path, CheckpointEverySteps = 3 };
        var train = TinyTask.Examples(64, 1);

        using var reference = TinyTask.NewModel();
        new FineTuner(reference, settings with { CheckpointDirectory = null }, 0).Train(train);

        using var interrupted = TinyTask.NewModel();
        using var cancel = new CancellationTokenSource();
        var progress = new SyncProgress(p => { if (p.Step == 5) cancel.Cancel(); });
        Assert.Throws<OperationCanceledException>(() => new FineTuner(interrupted, settings, 0).Train(train, null, progress, cancel.Token));

        using var resumed = TinyTask.NewModel(seed: 99); // different init: everything must come from the checkpoint
        var result = new FineTuner(resumed, settings, 0).Train(train);
        Assert.That(result.Steps, Is.EqualTo(8));
        Assert.That(TinyTask.Weights(resumed), Is.EqualTo(TinyTask.Weights(reference)));
    }

    [Test]
    public void EarlyStoppingStopsAndRestoresTheBestWeights()
    {
        using var model = TinyTask.NewModel();
        var settings = Settings with { Epochs = 30, EvaluateEverySteps = 2, EarlyStoppingPatience = 2, LearningRate = 1e-2 };
        var result = new FineTuner(model, settings, 0).Train(TinyTask.Examples(64, 1), TinyTask.Examples(32, 2));
        Assert.That(result.StoppedEarly, Is.True);
        Assert.That(result.Steps, Is.LessThan(30 * 4));
        var outputs = new MLNet.Transfer.Models.Heads.TaskPredictor(model, 0).Predict(TinyTask.Examples(32, 2).Select(e => e.Tokens).ToArray());
        var metrics = ValidationMetrics.Compute(model.Tasks, outputs, TinyTask.Examples(32, 2));
        Assert.That(metrics["score"], Is.EqualTo(result.BestValidation!["score"]).Within(1e-9), "restored weights score as the best evaluation");
    }

    [Test]
    public void DivergenceStopsWithAClearErrorAndKeepsTheLastCheckpoint()
    {
        using var temp = TestModels.TempDir();
        using var model = TinyTask.NewModel();
        var train = TinyTask.Examples(64, 1);
        var settings = Settings with { Epochs = 3, CheckpointDirectory = temp.Path };
        var step = 0;
        var progress = new SyncProgress(p =>
        {
            if (++step == 5) using (no_grad()) model.Head("task").parameters().First().fill_(float.NaN); // poison after a checkpoint
        });
        var error = Assert.Throws<TrainingDivergedException>(() => new FineTuner(model, settings, 0).Train(train, null, progress));
        Assert.That(error!.Message, Does.Contain("diverged").And.Contain("NaN"));
        Assert.That(TrainingCheckpoint.Exists(temp.Path), Is.True, "the epoch-1 checkpoint survives");
    }

    [Test]
    public void InvalidSettingsAndDataAreRejectedByName()
    {
        using var model = TinyTask.NewModel();
        Assert.That(() => new FineTuner(model, Settings with { LearningRate = -1 }, 0), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contain("LearningRate"));
        Assert.That(() => new FineTuner(model, Settings with { BatchSize = 0 }, 0), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contain("BatchSize"));
        Assert.That(() => new FineTuner(model, Settings with { MaxTokens = 1000 }, 0), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contain("MaxTokens"));
        Assert.That(() => new FineTuner(model, Settings, 0).Train([]), Throws.ArgumentException.With.Message.Contain("empty"));
    }
}
