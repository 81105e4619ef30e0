using Microsoft.ML;
using MLNet.Transfer.Training.SemiSupervised;

namespace MLNet.Transfer.MLNetIntegration;

/// <summary>The unlabelled texts of semi-supervised fine-tuning, with the settings and round reports that go with them.</summary>
internal sealed record UnlabeledTexts(IReadOnlyList<string> Texts, SemiSupervisedSettings Settings, IProgress<SemiSupervisedRound>? Rounds);

/// <summary>Reads the non-blank texts of an unlabelled data view's text column.</summary>
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
}
