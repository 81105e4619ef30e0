namespace MLNet.Transfer.MLNetIntegration;

/// <summary>
/// Options of <c>mlContext.MulticlassClassification.Trainers.FineTuneMultipleChoice</c>: the context column
/// (<see cref="TextFineTuningOptions.TextColumnName"/>, default "Text"), the candidates and label columns, the output
/// columns, plus the fine-tuning settings of <see cref="TextFineTuningOptions"/> (BatchSize counts questions, each of
/// which runs one sequence per candidate; MaxTokens bounds each context + candidate pair).
/// </summary>
public sealed class FineTuneMultipleChoiceOptions : TextFineTuningOptions
{
    /// <summary>Candidates column: a known-size vector of text, one candidate per slot (at least 2). Default "Candidates".</summary>
    public string CandidatesColumnName { get; set; } = "Candidates";
    /// <summary>
    /// Label column: which candidate is right — a key whose count is the number of candidates (key k = candidate slot k − 1),
    /// or a number (Single, Double, Int32, UInt32) holding the 0-based slot. Default "Label".
    /// </summary>
    public string LabelColumnName { get; set; } = "Label";
    /// <summary>Score output column: the probability of each candidate (softmax across the candidates), one slot per candidate. Default "Score".</summary>
    public string ScoreColumnName { get; set; } = "Score";
    /// <summary>Predicted label output column: a key, k = candidate slot k − 1 (the most probable). Default "PredictedLabel".</summary>
    public string PredictedLabelColumnName { get; set; } = "PredictedLabel";

    /// <summary>Refuses the options that have no meaning for multiple choice.</summary>
    internal void CheckMultipleChoice()
    {
        CheckChoices();
        if (SecondTextColumnName is not null)
            throw new ArgumentException($"Multiple choice joins the context to each candidate itself; SecondTextColumnName ('{SecondTextColumnName}') must not be set.", nameof(SecondTextColumnName));
        if (SymmetricPairs)
            throw new ArgumentException("SymmetricPairs is for sentence-pair tasks; multiple choice scores each (context, candidate) pair in that order.", nameof(SymmetricPairs));
        if (DecisionThreshold is not null || TuneThreshold == true)
            throw new ArgumentException("Decision thresholds are for binary tasks; multiple choice predicts the most probable candidate.", nameof(DecisionThreshold));
    }
}
