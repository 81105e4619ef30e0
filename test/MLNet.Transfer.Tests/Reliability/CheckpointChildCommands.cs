using System.Runtime.InteropServices;
using MLNet.Transfer.Checkpoints;
using MLNet.Transfer.Tests.Training;
using MLNet.Transfer.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.Transfer.Tests.Reliability;

/// <summary>Commands run in a child process that the kill-and-resume tests kill with SIGKILL.</summary>
internal static class CheckpointChildCommands
{
    public const string FineTune = "finetune-tiny";
    public const string SaveLoop = "checkpoint-save-loop";

    /// <summary>The run both the interrupted and the uninterrupted processes do: 60 epochs × 4 steps of TinyTask, a checkpoint after every step.</summary>
    public static FineTuneSettings Settings(string? checkpointDirectory) => new()
    {
        LearningRate = 3e-3, Epochs = 60, BatchSize = 16, MaxTokens = 32, WarmupFraction = 0.1, Seed = 5,
        CheckpointDirectory = checkpointDirectory, CheckpointEverySteps = 1,
    };

    public const int TotalSteps = 60 * 4;

    /// <summary>
    /// Fine-tunes TinyTask (resuming from <paramref name="checkpointDirectory"/> when it holds a checkpoint; "-" = none),
    /// prints "first-step N" (1 for a fresh run), and writes the final weights' raw bytes to <paramref name="weightsPath"/>.
    /// </summary>
    public static int RunFineTune(string checkpointDirectory, string weightsPath)
    {
        set_num_threads(1);
        using var model = TinyTask.NewModel();
        int? firstStep = null;
        var settings = Settings(checkpointDirectory == "-" ? null : checkpointDirectory);
        var result = new FineTuner(model, settings, padId: 0).Train(TinyTask.Examples(64, 1), null, new SyncProgress(p => firstStep ??= p.Step));
        Console.WriteLine($"first-step {firstStep} steps {result.Steps}");
        AtomicFile.Write(weightsPath, s => s.Write(MemoryMarshal.AsBytes(TinyTask.Weights(model).AsSpan())));
        return 0;
    }

    /// <summary>
    /// Writes checkpoints to <paramref name="checkpointDirectory"/> in an endless loop (until killed): checkpoint i has
    /// state.Step = i and every weight equal to i, so a torn checkpoint (parts of two saves) is detectable.
    /// </summary>
    public static int RunSaveLoop(string checkpointDirectory)
    {
        set_num_threads(1);
        using var model = TinyTask.NewModel();
        using var optimizer = optim.AdamW(model.parameters());
        for (int step = 1; ; step++)
        {
            using (no_grad())
                foreach (var p in model.parameters()) p.fill_(step);
            TrainingCheckpoint.Save(checkpointDirectory, model, optimizer, new TrainingState { Step = step, RunFingerprint = "loop" }, null);
        }
    }
}
