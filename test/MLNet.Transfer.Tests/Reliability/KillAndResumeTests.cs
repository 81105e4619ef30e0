using System.Diagnostics;
using System.Text.Json;
using MLNet.Transfer.Tests.Training;
using MLNet.Transfer.Training;
using static TorchSharp.torch;

namespace MLNet.Transfer.Tests.Reliability;

/// <summary>
/// Real crashes: fine-tuning (or checkpoint writing) in a separate process killed with SIGKILL at arbitrary moments,
/// including in the middle of writing a checkpoint. The checkpoint left behind must always load, and resuming must
/// end with exactly the weights of a run that was never interrupted. (The in-process cancel-and-resume case is in
/// Training/FineTunerTests.)
/// </summary>
[Category("Reliability")]
public class KillAndResumeTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    /// <summary>Kills of the save loop; about 3 in 4 land inside a save, so 6 miss them all with odds of about 1 in 4,000.</summary>
    private const int Rounds = 6;

    [Test]
    public void FineTuningKilledTwiceThenResumedEndsWithTheWeightsOfAnUninterruptedRun()
    {
        using var temp = TestModels.TempDir();
        string checkpoints = Path.Combine(temp.Path, "checkpoints");
        string referenceWeights = Path.Combine(temp.Path, "reference.bin"), resumedWeights = Path.Combine(temp.Path, "resumed.bin");

        var clock = Stopwatch.StartNew();
        var reference = ChildProcess.Run(CheckpointChildCommands.FineTune, "-", referenceWeights);
        Assert.That(reference.ExitCode, Is.EqualTo(0), reference.StandardError);
        double referenceSeconds = clock.Elapsed.TotalSeconds;

        // First kill right after the first checkpoint appears; the second after the resumed process has moved on.
        var kills = new List<string>();
        int killedAt = 0;
        foreach (int delayMs in new[] { 0, 150 })
        {
            using var child = ChildProcess.Start(CheckpointChildCommands.FineTune, checkpoints, Path.Combine(temp.Path, "never-written.bin"));
            int before = killedAt;
            WaitUntil(() => CheckpointStep(checkpoints) > before, child, $"a checkpoint past step {before}");
            Thread.Sleep(delayMs);
            child.Kill();
            child.WaitForExit();
            killedAt = CheckpointStep(checkpoints);
            kills.Add($"killed at step {killedAt}/{CheckpointChildCommands.TotalSteps}, left [{string.Join(", ", Entries(checkpoints))}]");
            Assert.That(TrainingCheckpoint.Exists(checkpoints), Is.True, "a complete checkpoint survives the kill");
            Assert.That(killedAt, Is.InRange(1, CheckpointChildCommands.TotalSteps - 1), "the kill must land mid-run");
        }
        Assert.That(File.Exists(Path.Combine(temp.Path, "never-written.bin")), Is.False);

        var resumed = ChildProcess.Run(CheckpointChildCommands.FineTune, checkpoints, resumedWeights);
        Assert.That(resumed.ExitCode, Is.EqualTo(0), resumed.StandardError);
        TestContext.Out.WriteLine($"uninterrupted run {referenceSeconds:F1} s; {string.Join("; ", kills)}; resumed: {resumed.StandardOutput.Trim()}");
        Assert.That(resumed.StandardOutput, Does.StartWith($"first-step {killedAt + 1} steps {CheckpointChildCommands.TotalSteps}"));
        Assert.That(File.ReadAllBytes(resumedWeights), Is.EqualTo(File.ReadAllBytes(referenceWeights)), "resumed weights differ from the uninterrupted run");
        Assert.That(Entries(checkpoints), Is.EqualTo(new[] { "latest" }), "leftovers of killed saves are cleaned up by later saves");
    }

    [Test]
    public void CheckpointWriterKilledMidSaveAlwaysLeavesAWholeLoadableCheckpoint()
    {
        using var temp = TestModels.TempDir();
        string checkpoints = Path.Combine(temp.Path, "checkpoints");
        var random = new Random(17);
        var outcomes = new List<string>();
        int midSave = 0, lastStep = 0;
        for (int round = 0; round < Rounds; round++)
        {
            using var child = ChildProcess.Start(CheckpointChildCommands.SaveLoop, checkpoints);
            int before = lastStep;
            WaitUntil(() => CheckpointStep(checkpoints) > before + 3, child, "the save loop to write checkpoints");
            Thread.Sleep(random.Next(0, 40));
            child.Kill();
            child.WaitForExit();

            var left = Entries(checkpoints);
            if (left.Any(e => e != "latest")) midSave++;
            lastStep = LoadAndCheck(checkpoints);
            outcomes.Add($"step {lastStep} [{string.Join(", ", left)}]");
        }
        TestContext.Out.WriteLine($"kills: {string.Join("; ", outcomes)}; {midSave} of {Rounds} landed inside a save");
        Assert.That(midSave, Is.GreaterThan(0), "no kill landed inside a save; the test did not test that");
    }

    /// <summary>Loads the checkpoint into a fresh model and checks that weights and counters come from the same save.</summary>
    private static int LoadAndCheck(string checkpoints)
    {
        Assert.That(TrainingCheckpoint.Exists(checkpoints), Is.True);
        using var model = TinyTask.NewModel(seed: 3);
        using var optimizer = optim.AdamW(model.parameters());
        var (state, best) = TrainingCheckpoint.Load(checkpoints, model, optimizer);
        Assert.That(best, Is.Null);
        var values = TinyTask.Weights(model).Distinct().ToArray();
        Assert.That(values, Is.EqualTo(new[] { (float)state.Step }), $"checkpoint of step {state.Step} holds weights of another save");
        return state.Step;
    }

    /// <summary>The step recorded by the checkpoint a resume would read (0 when there is none or it is being swapped).</summary>
    private static int CheckpointStep(string checkpoints)
    {
        foreach (string dir in new[] { "latest", ".latest.old" })
        {
            try
            {
                using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(checkpoints, dir, "state.json")));
                return json.RootElement.GetProperty("Step").GetInt32();
            }
            catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException) { }
        }
        return 0;
    }

    private static string[] Entries(string directory) =>
        Directory.Exists(directory) ? [.. Directory.EnumerateFileSystemEntries(directory).Select(Path.GetFileName).Order()!] : [];

    private static void WaitUntil(Func<bool> condition, Process child, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (child.HasExited)
                Assert.Fail($"The child exited ({child.ExitCode}) before {what}: {child.StandardError.ReadToEnd()}");
            if (clock.Elapsed > Patience)
            {
                child.Kill();
                Assert.Fail($"Timed out after {Patience.TotalSeconds} s waiting for {what}.");
            }
            Thread.Sleep(2);
        }
    }
}
