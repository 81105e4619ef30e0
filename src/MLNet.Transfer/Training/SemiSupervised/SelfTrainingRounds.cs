using System.Diagnostics;
using static TorchSharp.torch;

namespace MLNet.Transfer.Training.SemiSupervised;

/// <summary>One student round as its trainer plans it: the pseudo-labels the teacher chose and how to train the student on them.</summary>
/// <param name="PseudoLabels">Pseudo-labels chosen (0 ends self-training).</param>
/// <param name="PerClass">Per class of the first pseudo-labelled task (the round report's <see cref="SemiSupervisedRound.PerClass"/>).</param>
/// <param name="Train">Trains the student, starting from the weights the model had before the teacher was trained.</param>
internal sealed record StudentRound(int PseudoLabels, IReadOnlyList<int> PerClass, Func<FineTuneResult> Train)
{
    /// <summary>Per task, the pseudo-labels per class (multi-task models with several pseudo-labelled tasks; a tagging task: words per tag), or null.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<int>>? PerTask { get; init; }
    /// <summary>The pseudo-labels of the first pseudo-labelled task (the round report's <see cref="SemiSupervisedRound.Labels"/>), or null.</summary>
    public IReadOnlyList<PseudoLabel>? Labels { get; init; }
}

/// <summary>
/// The round loop every self-training trainer shares: train the teacher on the labels, then per round let the current
/// model pseudo-label (a <see cref="StudentRound"/>), reset to the starting weights, train the student, and keep it only when
/// it beats the round before on the validation score (without validation data every round is kept). The model ends with
/// the kept round's weights, in evaluation mode (as a training loop leaves it).
/// </summary>
internal static class SelfTrainingRounds
{
    public static FineTuneResult Run(nn.Module model, int rounds, Func<FineTuneResult> teacher, Func<double?> score, Func<int, StudentRound> plan,
                                     IReadOnlyList<int> emptyPerClass, IProgress<SemiSupervisedRound>? progress, CancellationToken cancellation)
    {
        var clock = Stopwatch.StartNew();
        double? Score()
        {
            double? value = score();
            model.eval(); // evaluation may leave training mode on; pseudo-labels and the caller need the model as training left it
            return value;
        }
        var start = Snapshot(model);
        Dictionary<string, Tensor>? bestWeights = null;
        try
        {
            var best = teacher();
            double? bestScore = Score();
            progress?.Report(new SemiSupervisedRound(0, rounds, 0, emptyPerClass, bestScore, true));
            for (int round = 1; round <= rounds; round++)
            {
                cancellation.ThrowIfCancellationRequested();
                var student = plan(round);
                if (student.PseudoLabels == 0)
                {
                    progress?.Report(new SemiSupervisedRound(round, rounds, 0, student.PerClass, null, false) { PerTask = student.PerTask, Labels = student.Labels });
                    break;
                }
                bestWeights?.Values.ToList().ForEach(t => t.Dispose());
                bestWeights = bestScore is null ? null : Snapshot(model);
                Restore(model, start);
                var result = student.Train();
                double? current = Score();
                bool kept = bestScore is null || current > bestScore;
                progress?.Report(new SemiSupervisedRound(round, rounds, student.PseudoLabels, student.PerClass, current, kept) { PerTask = student.PerTask, Labels = student.Labels });
                if (!kept)
                {
                    Restore(model, bestWeights!);
                    break;
                }
                (best, bestScore) = (result, current);
            }
            return best with { Duration = clock.Elapsed };
        }
        finally
        {
            foreach (var t in start.Values) t.Dispose();
            bestWeights?.Values.ToList().ForEach(t => t.Dispose());
        }
    }

    /// <summary>The student's epochs: <paramref name="studentEpochs"/>, or as many as give it the teacher's number of steps (at least 1).</summary>
    public static int StudentEpochs(int? studentEpochs, FineTuneSettings settings, int teacherExamples, int studentExamples)
    {
        int teacherSteps = settings.Epochs * ((teacherExamples + settings.BatchSize - 1) / settings.BatchSize);
        return studentEpochs ?? Math.Max(1, (int)Math.Round((double)teacherSteps * settings.BatchSize / studentExamples));
    }

    /// <summary>The settings of a round: its own seed and checkpoint folder.</summary>
    public static FineTuneSettings ForRound(FineTuneSettings settings, int round, int epochs) => settings with
    {
        Epochs = epochs, Seed = unchecked(settings.Seed + round),
        CheckpointDirectory = settings.CheckpointDirectory is { } folder ? Path.Combine(folder, $"round-{round}") : null,
    };

    private static Dictionary<string, Tensor> Snapshot(nn.Module model) => model.state_dict().ToDictionary(p => p.Key, p => p.Value.detach().clone());

    private static void Restore(nn.Module model, Dictionary<string, Tensor> weights)
    {
        using var _ = no_grad();
        foreach (var (name, tensor) in model.state_dict()) tensor.copy_(weights[name]);
    }
}
