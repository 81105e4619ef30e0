namespace MLNet.Transfer.MLNetIntegration;

/// <summary>
/// Options of the single-task fine-tuning trainers (<c>mlContext.BinaryClassification.Trainers.FineTuneTransformer</c>,
/// its multiclass / regression twins and <c>FineTuneMultiLabel</c>): the label and output columns, plus everything in
/// <see cref="TextFineTuningOptions"/>.
/// </summary>
public sealed class FineTuneTransformerOptions : TextFineTuningOptions
{
    /// <summary>
    /// Label column: Boolean (or 0/1 numbers) for binary; a key (MapValueToKey) or text for multiclass; Single/Double for
    /// regression; a known-size vector of Boolean (or 0/1) for multi-label. Default "Label".
    /// </summary>
    public string LabelColumnName { get; set; } = "Label";
    /// <summary>Score output column. Default "Score".</summary>
    public string ScoreColumnName { get; set; } = "Score";
    /// <summary>Probability output column (binary, multi-label). Default "Probability".</summary>
    public string ProbabilityColumnName { get; set; } = "Probability";
    /// <summary>Predicted label output column (classification). Default "PredictedLabel".</summary>
    public string PredictedLabelColumnName { get; set; } = "PredictedLabel";
}
