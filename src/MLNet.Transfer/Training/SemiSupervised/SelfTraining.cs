using MLNet.Transfer.Models;
using MLNet.Transfer.Models.Heads;
using MLNet.Transfer.Text;

namespace MLNet.Transfer.Training.SemiSupervised;

/// <summary>
/// Self-training rounds on a sentence or multi-task model (<see cref="SelfTrainingRounds"/>): the teacher (fine-tuned on
/// the labels) pseudo-labels the pool for every binary / multiclass task (<see cref="PseudoLabels.Select"/>, per task) and,
/// given the pool as words, pseudo-tags it for every tagging task (<see cref="TaggingTaskPseudoTags"/>); the student
/// starts from the teacher's starting weights and learns labels + pseudo-labels with dropout and (optionally)
/// TF-IDF-augmented inputs for the sentence tasks; it is the next round's teacher. A pooled text carries a pseudo-label
/// for each sentence task whose teacher was confident about it and none for the others (regression and multi-label tasks
/// get none), and joins a tagging task as a separate pseudo-tagged sentence (a tagging example carries one task's tags).
/// </summary>
internal sealed class SelfTraining(TransferModel model, FineTuneSettings settings, SemiSupervisedSettings semi, int padId, TfIdfAugmenter augmenter,
                                    BertLmHead? languageModelHead, UnlabelledSentences? sentences = null)
{
    private readonly int[] _classification = [.. Enumerable.Range(0, model.Tasks.Count).Where(t => model.Tasks[t].Kind is TaskKind.Binary or TaskKind.Multiclass)];
    private readonly TaggingTaskPseudoTags? _tagging = sentences is null ? null
        : new TaggingTaskPseudoTags(model, sentences, semi, settings.MaxTokens, Math.Max(settings.BatchSize, 32));

    public FineTuneResult Run(IReadOnlyList<TrainingExample> train, IReadOnlyList<TrainingExample>? validation, IReadOnlyList<EncodedText> unlabelled,
                              IProgress<TrainingProgress>? progress, IProgress<SemiSupervisedRound>? rounds, CancellationToken cancellation)
    {
        int[] tagging = _tagging?.Tasks ?? [];
        if (_classification.Length + tagging.Length == 0) throw new ArgumentException("Self-training needs a binary or multiclass task, or a tagging task and the pool as words.");
        int first = _classification.Length > 0 ? _classification[0] : tagging[0]; // the task whose counts are the report's PerClass
        FineTuneResult Train(IReadOnlyList<TrainingExample> examples, int round, int epochs) =>
            new FineTuner(model, SelfTrainingRounds.ForRound(settings, round, epochs), padId) { LanguageModelHead = languageModelHead }
                .Train(examples, validation, progress, cancellation);
        StudentRound Plan(int round)
        {
            var pseudo = PseudoLabel(unlabelled, round);
            var tags = tagging.ToDictionary(t => t, t => _tagging!.Select(t, Sampler(round, t)));
            var perTask = Enumerable.Range(0, model.Tasks.Count).Where(t => pseudo[t] is not null || tags.ContainsKey(t)).ToDictionary(t => model.Tasks[t].Name,
                t => pseudo[t] is { } labels ? (IReadOnlyList<int>)[.. Enumerable.Range(0, Classes(t)).Select(c => labels.Count(p => p.Class == c))]
                                             : _tagging!.PerTag(t, tags[t]));
            int count = _classification.Sum(t => pseudo[t]!.Count) + tags.Values.Sum(l => l.Count);
            var student = count == 0 ? []
                : StudentExamples(train, unlabelled, pseudo, round).Concat(tags.SelectMany(p => _tagging!.Examples(p.Key, p.Value))).ToList();
            return new StudentRound(count, perTask[model.Tasks[first].Name],
                () => Train(student, round, SelfTrainingRounds.StudentEpochs(semi.StudentEpochs, settings, train.Count, student.Count)))
            {
                PerTask = perTask.Count > 1 ? perTask : null, Labels = _classification.Length > 0 ? pseudo[_classification[0]] : null,
            };
        }
        return SelfTrainingRounds.Run(model, semi.Rounds, () => Train(train, 0, settings.Epochs), () => Score(validation), Plan,
                                      new int[Classes(first)], rounds, cancellation);
    }

    private Random? Sampler(int round, int task) => semi.Sampler(settings.Seed, round, task);

    /// <summary>A task's classes (a tagging task's: its tags).</summary>
    private int Classes(int task) => model.Tasks[task].Kind == TaskKind.Binary ? 2 : model.Tasks[task].Outputs;

    /// <summary>The current model's confident, balanced pseudo-labels on the pool, per task (null for tasks that get none).</summary>
    private List<PseudoLabel>?[] PseudoLabel(IReadOnlyList<EncodedText> unlabelled, int round)
    {
        var result = new List<PseudoLabel>?[model.Tasks.Count];
        if (_classification.Length == 0) return result;
        var logits = new TaskPredictor(model, padId, Math.Max(settings.BatchSize, 32)).Predict(unlabelled);
        foreach (int t in _classification)
            result[t] = PseudoLabels.Select([.. logits[t].Select(l => PseudoLabels.Probabilities(model.Tasks[t].Kind, l))],
                                            semi.Confidence, semi.MaxPseudoLabelsPerClass, semi.BalancePseudoLabels, Sampler(round, t));
        return result;
    }

    /// <summary>
    /// The labels (one-hot where soft multiclass targets are mixed in) followed by every pseudo-labelled text, in pool
    /// order, augmented when asked, with a target for each task that pseudo-labelled it.
    /// </summary>
    private List<TrainingExample> StudentExamples(IReadOnlyList<TrainingExample> train, IReadOnlyList<EncodedText> unlabelled, List<PseudoLabel>?[] pseudo, int round)
    {
        var examples = train.Select(OneHot).ToList();
        var labels = new SortedDictionary<int, float[]?[]>();
        foreach (int t in _classification)
            foreach (var label in pseudo[t]!)
            {
                if (!labels.TryGetValue(label.Index, out var targets)) labels[label.Index] = targets = new float[]?[model.Tasks.Count];
                targets[t] = label.Target(model.Tasks[t].Kind, semi.SoftLabels);
            }
        var random = new Random(unchecked(settings.Seed * 31 + round));
        foreach (var (index, targets) in labels)
        {
            var text = unlabelled[index];
            if (semi.AugmentPseudoLabels) text = augmenter.Augment(text, semi.AugmentationRate, semi.DeletionShare, random);
            examples.Add(new TrainingExample(text, targets));
        }
        return examples;
    }

    /// <summary>With soft labels, multiclass hard labels become one-hot distributions so labels and pseudo-labels share a loss.</summary>
    private TrainingExample OneHot(TrainingExample example)
    {
        if (!semi.SoftLabels || !_classification.Any(t => model.Tasks[t].Kind == TaskKind.Multiclass && example.Targets[t] is { Length: 1 })) return example;
        var targets = example.Targets.Select((y, t) => model.Tasks[t].Kind != TaskKind.Multiclass || y is not { Length: 1 } ? y
            : Enumerable.Range(0, model.Tasks[t].Outputs).Select(c => c == (int)y[0] ? 1f : 0f).ToArray()).ToArray();
        return example with { Targets = targets };
    }

    private double? Score(IReadOnlyList<TrainingExample>? validation) =>
        validation is null ? null : new FineTuner(model, settings, padId).Evaluate(validation)["score"];
}
