using MLNet.Transfer.Models;
using MLNet.Transfer.Models.Heads;
using MLNet.Transfer.Models.Tagging;
using MLNet.Transfer.Text.Tagging;
using MLNet.Transfer.Training.Tagging;

namespace MLNet.Transfer.Training.SemiSupervised;

/// <summary>
/// Self-training's pseudo-tags for the tagging tasks of a multi-task model, the tagger's rule per task
/// (<see cref="TaggerSelfTraining"/>): each task's head tags the pooled sentences, and those whose least confident word
/// reaches the threshold become pseudo-tagged sentences (<see cref="TagPseudoLabels.Select"/>, at most
/// <see cref="SemiSupervisedSettings.MaxPseudoLabelsPerClass"/> per task, the most confident first or drawn at random),
/// which join the student as that task's windows, hard tags only and no input noise beyond dropout (as for the tagger).
/// </summary>
internal sealed class TaggingTaskPseudoTags(TransferModel model, UnlabelledSentences pool, SemiSupervisedSettings semi, int maxTokens, int batchSize)
{
    /// <summary>The model's tagging tasks, by task index.</summary>
    public int[] Tasks { get; } = [.. Enumerable.Range(0, model.Tasks.Count).Where(t => model.Tasks[t].Kind == TaskKind.Tagging)];

    /// <summary>The current model's pseudo-tagged sentences for tagging task <paramref name="task"/> (inference mode).</summary>
    /// <param name="task">Index of a tagging task.</param>
    /// <param name="sample">Null: the most confident sentences. Otherwise the generator that draws them among the confident ones.</param>
    public List<TagPseudoLabel> Select(int task, Random? sample) =>
        TagPseudoLabels.Choose(Tagger(task), pool.Tokenizer, pool.Words, maxTokens, batchSize, semi, sample);

    /// <summary>Pseudo-tagged words per tag, in the task's tag order (the round report's per-class counts of a tagging task).</summary>
    public int[] PerTag(int task, IEnumerable<TagPseudoLabel> labels) => TagPseudoLabels.PerTag(labels, Tagger(task).Spec.Tags.Length);

    /// <summary>The pseudo-tagged sentences' windows as training examples of tagging task <paramref name="task"/>, cut as its labelled sentences are.</summary>
    public List<TrainingExample> Examples(int task, IReadOnlyList<TagPseudoLabel> labels)
    {
        var tags = Tagger(task).Spec.Tags;
        var sentences = TagPseudoLabels.Sentences(labels, pool.Words, tags).ToArray();
        return TrainingExample.FromTaggedWindows(TaggedWindow.From(pool.Tokenizer, sentences, tags, maxTokens), task, model.Tasks.Count);
    }

    private TaggingModel Tagger(int task) => model.Tagger(model.Tasks[task].Name);
}
