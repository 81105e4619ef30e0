using MLNet.Transfer.Text;
using MLNet.Transfer.Text.Tagging;

namespace MLNet.Transfer.Training;

/// <summary>
/// One tokenized text with its targets, one entry per task of the model (null = no label for that task).
/// Binary: [0 or 1]; multiclass: [class index]; regression: [value]; multi-label: one 0/1 per label; tagging: the tag
/// index of each word the example's <see cref="Window"/> owns.
/// </summary>
/// <param name="Tokens">Tokenized input.</param>
/// <param name="Targets">Targets by task index.</param>
public sealed record TrainingExample(EncodedText Tokens, float[]?[] Targets)
{
    /// <summary>
    /// Tagging examples: the sentence window (<see cref="WordPieceAlignment.Windows"/>) whose tokens these are, with the
    /// positions of its owned words' first pieces. Null for a sentence-task example.
    /// </summary>
    public TaggingWindow? Window { get; init; }

    /// <summary>
    /// Symmetric sentence pairs (GPT-1's similarity transformation): the same pair in the other order; the heads then see
    /// the sum of both orderings' pooled vectors (<see cref="Models.Heads.SymmetricPair"/>). Null for an ordinary example.
    /// In a training or validation set, either every sentence example has it or none does.
    /// </summary>
    public EncodedText? Reversed { get; init; }

    /// <summary>Tagging examples: which sentence of the task's data the window was cut from (windows of one sentence are stitched together for validation).</summary>
    public int Sentence { get; init; }

    /// <summary>The windows of tagged sentences as examples of tagging task <paramref name="task"/> of <paramref name="taskCount"/>.</summary>
    public static List<TrainingExample> FromTaggedWindows(IEnumerable<Tagging.TaggedWindow> windows, int task, int taskCount) =>
        windows.Select(w =>
        {
            var targets = new float[]?[taskCount];
            targets[task] = w.Tags.Select(t => (float)t).ToArray();
            return new TrainingExample(w.Window.Tokens, targets) { Window = w.Window, Sentence = w.Sentence };
        }).ToList();
}
