using System.Text.Json;
using MLNet.Transfer.Checkpoints;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transfer.Training;

/// <summary>Counters that, with the weights, optimiser and RNG state, let an interrupted run continue exactly.</summary>
public sealed record TrainingState
{
    /// <summary>Optimisation steps done.</summary>
    public int Step { get; init; }
    /// <summary>Best validation score so far (NaN before the first evaluation).</summary>
    public double BestScore { get; init; } = double.NaN;
    /// <summary>Evaluations since the best one.</summary>
    public int EvaluationsWithoutImprovement { get; init; }
    /// <summary>Fingerprint of the settings and data the run was started with.</summary>
    public string RunFingerprint { get; init; } = "";
}

/// <summary>
/// Reads and writes resumable checkpoints in a folder: <c>latest/</c> holds model.safetensors, optimizer.bin,
/// rng.bin and state.json, plus best.safetensors when best weights are kept. A new checkpoint is written
/// completely under a temporary name and then swapped in, so a crash mid-write keeps the previous one.
/// </summary>
public static class TrainingCheckpoint
{
    private const string Latest = "latest";
    private static readonly JsonSerializerOptions Json = new() { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <summary>
    /// A stable (cross-process) fingerprint of a run's description — settings and data shape — stored in its checkpoints
    /// so that another run's checkpoint is refused instead of resumed.
    /// </summary>
    public static string Fingerprint(string runDescription) =>
        Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(runDescription)))[..16];

    /// <summary>Writes a checkpoint atomically.</summary>
    public static void Save(string root, nn.Module model, OptimizerHelper optimizer, TrainingState state, IReadOnlyDictionary<string, Tensor>? bestWeights)
    {
        Directory.CreateDirectory(root);
        RecoverFromCrash(root);
        string temp = Path.Combine(root, $".{Latest}.{Guid.NewGuid():N}.tmp");
        Directory.CreateDirectory(temp);
        try
        {
            Safetensors.Save(Path.Combine(temp, "model.safetensors"), model.state_dict());
            if (bestWeights is not null) Safetensors.Save(Path.Combine(temp, "best.safetensors"), bestWeights);
            using (var file = File.Create(Path.Combine(temp, "optimizer.bin")))
            using (var writer = new BinaryWriter(file)) optimizer.save_state_dict(writer);
            using (var rng = get_rng_state()) File.WriteAllBytes(Path.Combine(temp, "rng.bin"), rng.bytes.ToArray());
            File.WriteAllText(Path.Combine(temp, "state.json"), JsonSerializer.Serialize(state, Json));

            string target = Path.Combine(root, Latest);
            string old = Path.Combine(root, $".{Latest}.old");
            if (Directory.Exists(old)) Directory.Delete(old, true);
            if (Directory.Exists(target)) Directory.Move(target, old);
            Directory.Move(temp, target);
            if (Directory.Exists(old)) Directory.Delete(old, true);
        }
        finally
        {
            if (Directory.Exists(temp)) Directory.Delete(temp, true);
        }
    }

    /// <summary>
    /// Tidies what a process killed inside <see cref="Save"/> left behind: half-written temporary folders are deleted,
    /// and a previous checkpoint caught between the two renames (only <c>.latest.old</c> complete) is renamed back to
    /// <c>latest</c>, so it is never the folder this save deletes first.
    /// </summary>
    private static void RecoverFromCrash(string root)
    {
        foreach (string stale in Directory.EnumerateDirectories(root, $".{Latest}.*.tmp"))
            Directory.Delete(stale, true);
        string target = Path.Combine(root, Latest), old = Path.Combine(root, $".{Latest}.old");
        if (!File.Exists(Path.Combine(target, "state.json")) && File.Exists(Path.Combine(old, "state.json")))
        {
            if (Directory.Exists(target)) Directory.Delete(target, true);
            Directory.Move(old, target);
        }
    }

    /// <summary>True when <paramref name="root"/> holds a complete checkpoint.</summary>
    public static bool Exists(string? root) =>
        root is not null && File.Exists(Path.Combine(root, Latest, "state.json")) ||
        root is not null && Directory.Exists(Path.Combine(root, $".{Latest}.old")) && File.Exists(Path.Combine(root, $".{Latest}.old", "state.json"));

    /// <summary>Restores weights, optimiser and RNG state; returns the counters and the best weights if saved.</summary>
    public static (TrainingState State, Dictionary<string, Tensor>? BestWeights) Load(string root, nn.Module model, OptimizerHelper optimizer)
    {
        string dir = Path.Combine(root, Latest);
        if (!File.Exists(Path.Combine(dir, "state.json"))) dir = Path.Combine(root, $".{Latest}.old"); // crash between the two renames
        var state = JsonSerializer.Deserialize<TrainingState>(File.ReadAllText(Path.Combine(dir, "state.json")), Json)
                    ?? throw new InvalidDataException($"{dir}: state.json is empty.");
        var weights = Safetensors.Load(Path.Combine(dir, "model.safetensors"));
        try { StateDictLoader.Load(model, weights, Path.Combine(dir, "model.safetensors")); }
        finally { foreach (var w in weights.Values) w.Dispose(); }
        using (var file = File.OpenRead(Path.Combine(dir, "optimizer.bin")))
        using (var reader = new BinaryReader(file)) optimizer.load_state_dict(reader);
        using (var rng = get_rng_state())
        {
            var bytes = File.ReadAllBytes(Path.Combine(dir, "rng.bin"));
            using var restored = tensor(bytes, dtype: ScalarType.Byte);
            set_rng_state(restored);
        }
        string best = Path.Combine(dir, "best.safetensors");
        return (state, File.Exists(best) ? Safetensors.Load(best) : null);
    }
}
