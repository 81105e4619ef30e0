using System.Diagnostics;
using MLNet.Transfer.Models;
using MLNet.Transfer.Models.Heads;
using MLNet.Transfer.Text;
using static TorchSharp.torch;

namespace MLNet.Transfer.Training.SemiSupervised;

/// <summary>
/// Self-training rounds on a single binary / multiclass task: the teacher (fine-tuned on the labels) pseudo-labels the
/// pool (<see cref="PseudoLabels.Select"/>); the student starts from the teacher's starting weights and learns labels +
/// pseudo-labels with dropout and (optionally) TF-IDF-augmented inputs; it is the next round's teacher. With validation
/// data a round that does not beat the one before is undone and ends training.
/// </summary>
internal sealed class SelfTraining(TransferModel model, FineTuneSettings settings, SemiSupervisedSettings semi, int padId, TfIdfAugmenter augmenter,
                                    BertLmHead? languageModelHead)
{
    private readonly TaskSpec _task = model.Tasks[0];

    public FineTuneResult Run(IReadOnlyList<TrainingExample> train, IReadOnlyList<TrainingExample>? validation, IReadOnlyList<EncodedText> unlabelled,
                              IProgress<TrainingProgress>? progress, IProgress<SemiSupervisedRound>? rounds, CancellationToken cancellation)
    {
        if (_task.Kind is not (TaskKind.Binary or TaskKind.Multiclass))
            throw new ArgumentException($"Self-training needs a binary or multiclass task; '{_task.Name}' is {_task.Kind}.");
        var clock = Stopwatch.StartNew();
        int classes = _task.Kind == TaskKind.Binary ? 2 : _task.Outputs;
        var start = Snapshot();
        Dictionary<string, Tensor>? bestWeights = null;
        try
        {
            var best = new FineTuner(model, ForRound(0, settings.Epochs), padId) { LanguageModelHead = languageModelHead }.Train(train, validation, progress, cancellation);
            double? bestScore = Score(validation);
            rounds?.Report(new SemiSupervisedRound(0, semi.Rounds, 0, new int[classes], bestScore, true));
            int teacherSteps = settings.Epochs * ((train.Count + settings.BatchSize - 1) / settings.BatchSize);
            for (int round = 1; round <= semi.Rounds; round++)
            {
                cancellation.ThrowIfCancellationRequested();
                var pseudo = PseudoLabel(unlabelled);
                var perClass = Enumerable.Range(0, classes).Select(c => pseudo.Count(p => p.Class == c)).ToArray();
                if (pseudo.Count == 0)
                {
                    rounds?.Report(new SemiSupervisedRound(round, semi.Rounds, 0, perClass, null, false));
                    break;
                }
                var student = StudentExamples(train, unlabelled, pseudo, round);
                int epochs = semi.StudentEpochs ?? Math.Max(1, (int)Math.Round((double)teacherSteps * settings.BatchSize / student.Count));
                bestWeights?.Values.ToList().ForEach(t => t.Dispose());
                bestWeights = validation is null ? null : Snapshot();
                Restore(start);
                var result = new FineTuner(model, ForRound(round, epochs), padId) { LanguageModelHead = languageModelHead }.Train(student, validation, progress, cancellation);
                double? score = Score(validation);
                bool kept = bestScore is null || score > bestScore;
                rounds?.Report(new SemiSupervisedRound(round, semi.Rounds, pseudo.Count, perClass, score, kept));
                if (!kept)
                {
                    Restore(bestWeights!);
                    break;
                }
                (best, bestScore) = (result, score);
            }
            return best with { Duration = clock.Elapsed };
        }
        finally
        {
            foreach (var t in start.Values) t.Dispose();
            bestWeights?.Values.ToList().ForEach(t => t.Dispose());
        }
    }

    /// <summary>The current model's confident, balanced pseudo-labels on the pool.</summary>
    private List<PseudoLabel> PseudoLabel(IReadOnlyList<EncodedText> unlabelled)
    {
        var logits = new TaskPredictor(model, padId, Math.Max(settings.BatchSize, 32)).Predict(unlabelled)[0];
        var probabilities = logits.Select(l => PseudoLabels.Probabilities(_task.Kind, l)).ToArray();
        return PseudoLabels.Select(probabilities, semi.Confidence, semi.MaxPseudoLabelsPerClass, semi.BalancePseudoLabels);
    }

    /// <summary>The labels (one-hot when soft multiclass targets are mixed in) followed by the pseudo-labelled texts, augmented when asked.</summary>
    private List<TrainingExample> StudentExamples(IReadOnlyList<TrainingExample> train, IReadOnlyList<EncodedText> unlabelled, List<PseudoLabel> pseudo, int round)
    {
        bool oneHot = semi.SoftLabels && _task.Kind == TaskKind.Multiclass;
        var examples = train.Select(e => !oneHot || e.Targets[0] is not { Length: 1 } y ? e
            : e with { Targets = [Enumerable.Range(0, _task.Outputs).Select(c => c == (int)y[0] ? 1f : 0f).ToArray()] }).ToList();
        var random = new Random(unchecked(settings.Seed * 31 + round));
        foreach (var label in pseudo)
        {
            var text = unlabelled[label.Index];
            if (semi.AugmentPseudoLabels) text = augmenter.Augment(text, semi.AugmentationRate, semi.DeletionShare, random);
            examples.Add(new TrainingExample(text, [label.Target(_task.Kind, semi.SoftLabels)]));
        }
        return examples;
    }

    private FineTuneSettings ForRound(int round, int epochs) => settings with
    {
        Epochs = epochs, Seed = unchecked(settings.Seed + round),
        CheckpointDirectory = settings.CheckpointDirectory is { } folder ? Path.Combine(folder, $"round-{round}") : null,
    };

    private double? Score(IReadOnlyList<TrainingExample>? validation)
    {
        if (validation is null) return null;
        var outputs = new TaskPredictor(model, padId, Math.Max(settings.BatchSize, 32)).Predict(validation.Select(e => e.Tokens).ToArray());
        return ValidationMetrics.Compute(model.Tasks, outputs, validation, settings.EarlyStoppingTask)["score"];
    }

    private Dictionary<string, Tensor> Snapshot() => model.state_dict().ToDictionary(p => p.Key, p => p.Value.detach().clone());

    private void Restore(Dictionary<string, Tensor> weights)
    {
        using var _ = no_grad();
        foreach (var (name, tensor) in model.state_dict()) tensor.copy_(weights[name]);
    }
}
