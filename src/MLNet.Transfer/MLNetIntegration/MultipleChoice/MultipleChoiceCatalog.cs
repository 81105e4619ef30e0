using MLNet.Transfer.MLNetIntegration;

namespace Microsoft.ML;

/// <summary>The multiple-choice trainer on ML.NET's multiclass catalog.</summary>
public static class MultipleChoiceCatalog
{
    /// <summary>
    /// Fine-tunes a pretrained encoder to pick the right candidate among a row's candidates (the OpenAI transformer's
    /// multiple-choice transformation): <paramref name="contextColumnName"/> (text), <paramref name="candidatesColumnName"/>
    /// (a known-size vector of text) and <paramref name="labelColumnName"/> (a key with one value per candidate, or the
    /// 0-based slot as a number). Outputs Score (one probability per candidate, softmax across them) and PredictedLabel (key),
    /// so <c>mlContext.MulticlassClassification.Evaluate</c> works.
    /// </summary>
    public static FineTuneMultipleChoiceEstimator FineTuneMultipleChoice(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string labelColumnName = "Label", string contextColumnName = "Text", string candidatesColumnName = "Candidates", string model = "minilm", int epochs = 3) =>
        new(new FineTuneMultipleChoiceOptions
        {
            LabelColumnName = labelColumnName, TextColumnName = contextColumnName, CandidatesColumnName = candidatesColumnName, Model = model, Epochs = epochs,
        });

    /// <summary>Multiple-choice fine-tuning with every option.</summary>
    public static FineTuneMultipleChoiceEstimator FineTuneMultipleChoice(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
                                                                         FineTuneMultipleChoiceOptions options) => new(options);
}
