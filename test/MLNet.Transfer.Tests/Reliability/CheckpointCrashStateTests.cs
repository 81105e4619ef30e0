using MLNet.Transfer.Tests.Training;
using MLNet.Transfer.Training;

namespace MLNet.Transfer.Tests.Reliability;

/// <summary>
/// The checkpoint folder in the states a kill inside <see cref="TrainingCheckpoint.Save"/> can leave, set up by hand
/// (the kills in <see cref="KillAndResumeTests"/> hit them only by chance): a resume continues exactly, and the next
/// save tidies up.
/// </summary>
[Category("Reliability")]
public class CheckpointCrashStateTests
{
    private static readonly FineTuneSettings Settings = new()
    {
        LearningRate = 3e-3, Epochs = 2, BatchSize = 16, MaxTokens = 32, Seed = 5, CheckpointEverySteps = 3,
    };

    [Test]
    public void KilledBetweenTheTwoRenamesWithAHalfWrittenSaveResumesExactlyAndIsTidiedUp()
    {
        using var temp = TestModels.TempDir();
        var train = TinyTask.Examples(64, 1);
        var settings = Settings with { CheckpointDirectory = temp.Path };

        using var reference = TinyTask.NewModel();
        new FineTuner(reference, settings with { CheckpointDirectory = null }, 0).Train(train);

        using var interrupted = TinyTask.NewModel();
        using var cancel = new CancellationTokenSource();
        var progress = new Progress(p => { if (p.Step == 4) cancel.Cancel(); });
        Assert.Throws<OperationCanceledException>(() => new FineTuner(interrupted, settings, 0).Train(train, null, progress, cancel.Token));

        // The state after a kill between "latest → .latest.old" and ".tmp → latest", with another save half written.
        Directory.Move(Path.Combine(temp.Path, "latest"), Path.Combine(temp.Path, ".latest.old"));
        string halfWritten = Directory.CreateDirectory(Path.Combine(temp.Path, $".latest.{Guid.NewGuid():N}.tmp")).FullName;
        File.WriteAllBytes(Path.Combine(halfWritten, "model.safetensors"), new byte[100]);
        Assert.That(TrainingCheckpoint.Exists(temp.Path), Is.True);

        using var resumed = TinyTask.NewModel(seed: 99);
        int firstStep = 0;
        var result = new FineTuner(resumed, settings, 0).Train(train, null, new Progress(p => { if (firstStep == 0) firstStep = p.Step; }));

        Assert.That(firstStep, Is.EqualTo(4), "resumed from the step-3 checkpoint in .latest.old");
        Assert.That(result.Steps, Is.EqualTo(8));
        Assert.That(TinyTask.Weights(resumed), Is.EqualTo(TinyTask.Weights(reference)));
        Assert.That(Directory.EnumerateFileSystemEntries(temp.Path).Select(Path.GetFileName), Is.EqualTo(new[] { "latest" }));
    }

    private sealed class Progress(Action<TrainingProgress> action) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => action(value);
    }
}
