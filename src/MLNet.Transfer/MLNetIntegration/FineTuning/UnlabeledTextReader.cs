using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transfer.Training.SemiSupervised;

namespace MLNet.Transfer.MLNetIntegration;

/// <summary>The unlabelled texts of semi-supervised fine-tuning, with the settings and round reports that go with them.</summary>
internal sealed record UnlabeledTexts(IReadOnlyList<string> Texts, SemiSupervisedSettings Settings, IProgress<SemiSupervisedRound>? Rounds)
{
    /// <summary>
    /// The options' unlabelled texts (null without <see cref="TextFineTuningOptions.UnlabeledData"/>), after checking the
    /// settings; when <paramref name="applies"/> is false (no task takes part) the error says what is needed and what is
    /// trained (<paramref name="needs"/>, e.g. "a binary or multiclass task; this trainer is Regression").
    /// </summary>
    public static UnlabeledTexts? From(TextFineTuningOptions o, bool applies, string needs)
    {
        if (o.UnlabeledData is null) return null;
        CheckTasks(applies, needs);
        ArgumentNullException.ThrowIfNull(o.SemiSupervised, nameof(o.SemiSupervised));
        o.SemiSupervised.Validate();
        return new UnlabeledTexts(UnlabeledTextReader.Read(o.UnlabeledData, o.TextColumnName), o.SemiSupervised, o.SemiSupervisedProgress);
    }

    /// <summary>GetOutputSchema's part: the tasks, and the unlabelled data's text column.</summary>
    public static void CheckSchema(TextFineTuningOptions o, bool applies, string needs)
    {
        if (o.UnlabeledData is not { } unlabelled) return;
        CheckTasks(applies, needs);
        SchemaShapes.RequireText(SchemaShapes.FromSchema(unlabelled.Schema), o.TextColumnName, "Unlabelled text");
    }

    private static void CheckTasks(bool applies, string needs)
    {
        if (!applies) throw new ArgumentException($"Semi-supervised fine-tuning (UnlabeledData) needs {needs}.");
    }
}

/// <summary>Reads the non-blank texts of an unlabelled data view's text column, or a tagger's unlabelled sentences.</summary>
internal static class UnlabeledTextReader
{
    /// <summary>The texts, or a clear error for a missing / non-text column or no text at all.</summary>
    public static List<string> Read(IDataView data, string textColumn)
    {
        SchemaShapes.RequireText(data.Schema, textColumn, "Unlabelled text");
        var texts = TextColumnReader.NonBlank(data, textColumn);
        if (texts.Count == 0) throw new InvalidDataException($"The unlabelled data is empty: column '{textColumn}' has no non-blank text.");
        return texts;
    }

    /// <summary>
    /// A tagger's unlabelled sentences from its words column: a vector of text (one word per item, as the tagger reads), or
    /// text split at white space. Empty sentences are skipped; none at all, or a missing / other column, is a clear error.
    /// </summary>
    public static List<IReadOnlyList<string>> ReadSentences(IDataView data, string tokensColumn)
    {
        var column = data.Schema.GetColumnOrNull(tokensColumn)
            ?? throw new ArgumentOutOfRangeException(nameof(tokensColumn),
                $"Unlabelled words column '{tokensColumn}' was not found in the unlabelled data (columns: {string.Join(", ", data.Schema.Select(c => c.Name))}).");
        var sentences = column.Type is TextDataViewType
            ? TextColumnReader.NonBlank(data, tokensColumn).Select(t => (IReadOnlyList<string>)UnlabelledSentences.WhiteSpaceWords(t)).ToList()
            : TagSequenceColumns.IsTextVector(column.Type)
                ? TagSequenceColumns.Read(data, tokensColumn, "Unlabelled words").Select(w => (IReadOnlyList<string>)w.Where(x => !string.IsNullOrWhiteSpace(x)).ToArray()).ToList()
                : throw new ArgumentOutOfRangeException(nameof(tokensColumn), $"Unlabelled words column '{tokensColumn}' must be a vector of text (or text), but it is {column.Type}.");
        sentences.RemoveAll(s => s.Count == 0);
        if (sentences.Count == 0) throw new InvalidDataException($"The unlabelled data is empty: column '{tokensColumn}' has no words.");
        return sentences;
    }
}
