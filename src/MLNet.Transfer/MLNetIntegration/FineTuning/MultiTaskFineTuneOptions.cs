using Microsoft.ML;
using MLNet.Transfer.Models.Heads;
using MLNet.Transfer.Training;

namespace MLNet.Transfer.MLNetIntegration;

/// <summary>
/// One task of a multi-task model: its kind, label column, loss weight and (optionally) its own data. A
/// <see cref="TaskKind.Tagging"/> task tags the words of sentences (e.g. named entities from a CoNLL file loaded with
/// <c>LoadFromConllFile</c>) with the token classifier's head, next to sentence tasks on the same encoder.
/// </summary>
public sealed class TextTaskOptions
{
    /// <summary>Task name: names the output columns ("&lt;Name&gt;.Score", ...); no '.' allowed.</summary>
    public string Name { get; set; } = "";
    /// <summary>What the head predicts.</summary>
    public TaskKind Kind { get; set; } = TaskKind.Binary;
    /// <summary>
    /// Label column (types as in <see cref="FineTuneTransformerOptions.LabelColumnName"/>); missing values (NaN, key 0, empty
    /// text) mean "not labelled for this task". Tagging: the tags column, a vector of text or of keys with KeyValues, one tag
    /// per word (set it to "Tags" for data from <c>LoadFromConllFile</c>). Default "Label".
    /// </summary>
    public string LabelColumnName { get; set; } = "Label";
    /// <summary>Tagging: the words column, a vector of text (one sentence per row), read in training and by the model. Default "Tokens".</summary>
    public string TokensColumnName { get; set; } = "Tokens";
    /// <summary>Tagging: linear softmax or CRF (BIO-constrained Viterbi). Default null: CRF for BIO span tags, linear otherwise (as the token classifier).</summary>
    public TaggingHead? Head { get; set; }
    /// <summary>Tagging: give the head each word's capitalisation class as a learned vector (see <see cref="TokenClassifierOptions.CasingFeatures"/>). Default false.</summary>
    public bool CasingFeatures { get; set; }
    /// <summary>Relative weight of this task's loss. Default 1.</summary>
    public double LossWeight { get; set; } = 1;
    /// <summary>This task's own training data (text column + its label column); null = read its labels from the data passed to Fit.</summary>
    public IDataView? TrainingData { get; set; }
    /// <summary>
    /// This task's own validation data; null = read its labels from <see cref="TextFineTuningOptions.ValidationSet"/> (if
    /// any; a tagging task only when that view has its words and tags columns).
    /// </summary>
    public IDataView? ValidationData { get; set; }
}

/// <summary>
/// Options of <c>mlContext.Transforms.Text.FineTuneMultiTask</c>: one shared encoder fine-tuned jointly with a head per task
/// (e.g. sentiment + sarcasm), from one view with several label columns and/or one view per task.
/// </summary>
public sealed class MultiTaskFineTuneOptions : TextFineTuningOptions
{
    /// <summary>The tasks, at least one, with distinct names.</summary>
    public IList<TextTaskOptions> Tasks { get; set; } = new List<TextTaskOptions>();
    /// <inheritdoc cref="FineTuneSettings.TaskSampling"/>
    public TaskSampling TaskSampling { get; set; } = TaskSampling.Proportional;
    /// <inheritdoc cref="FineTuneSettings.SamplingTemperature"/>
    public double SamplingTemperature { get; set; } = 2;
    /// <inheritdoc cref="FineTuneSettings.EarlyStoppingTask"/>
    public string? EarlyStoppingTask { get; set; }

    internal override FineTuneSettings ToSettings(DataAwareDefaults d) =>
        base.ToSettings(d) with { TaskSampling = TaskSampling, SamplingTemperature = SamplingTemperature, EarlyStoppingTask = EarlyStoppingTask };
}
