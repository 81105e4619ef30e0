using MLNet.Transfer.Text;

namespace MLNet.Transfer.Training.SemiSupervised;

/// <summary>
/// The unlabelled texts of a multi-task model as sentences of words, for its tagging tasks: one sentence per unlabelled
/// text, in the same order, with the tokenizer that cuts them into windows (<see cref="Text.Tagging.WordPieceAlignment.Windows"/>)
/// as the tagging task's labelled sentences are cut.
/// </summary>
/// <param name="Words">Each unlabelled text's words (an empty sentence is never pseudo-tagged and is left out of the consistency term).</param>
/// <param name="Tokenizer">The model's tokenizer.</param>
public sealed record UnlabelledSentences(IReadOnlyList<IReadOnlyList<string>> Words, BertWordPieceTokenizer Tokenizer)
{
    /// <summary>The texts split at white space (as the tagger reads unlabelled text given as plain text), one sentence per text.</summary>
    public static UnlabelledSentences SplitAtWhiteSpace(IEnumerable<string> texts, BertWordPieceTokenizer tokenizer) =>
        new([.. texts.Select(t => (IReadOnlyList<string>)WhiteSpaceWords(t))], tokenizer);

    /// <summary>A text's words: its runs of non-white-space characters.</summary>
    public static string[] WhiteSpaceWords(string text) => text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
}
