using MLNet.Transfer.Models.Tagging;

namespace MLNet.Transfer.Models.Heads;

/// <summary>A named prediction task on top of the shared encoder.</summary>
/// <param name="Name">Task name (used for parameter names and output columns).</param>
/// <param name="Kind">Task kind.</param>
/// <param name="Outputs">Number of outputs: 1 for binary/regression, classes for multiclass, labels for multi-label, tags for tagging.</param>
public sealed record TaskSpec(string Name, TaskKind Kind, int Outputs)
{
    /// <summary>Regression: mean of the training targets (the head predicts standardised values).</summary>
    public double TargetMean { get; init; }

    /// <summary>Regression: standard deviation of the training targets.</summary>
    public double TargetStd { get; init; } = 1;

    /// <summary>Relative weight of this task's loss in multi-task training. Default 1.</summary>
    public double LossWeight { get; init; } = 1;

    /// <summary>
    /// Tagging: the tag set and head (linear or CRF; casing features allowed). The encoder is shared and fine-tuned, so the
    /// features route and its BiLSTM are not available here. Null for the other kinds.
    /// </summary>
    public TaggerSpec? Tagging { get; init; }

    /// <summary>Checks the name and output count (and, for tagging, that the tag set matches the outputs).</summary>
    public TaskSpec Validate()
    {
        if (string.IsNullOrWhiteSpace(Name) || Name.Contains('.'))
            throw new ArgumentException($"Task name '{Name}' must be non-empty and contain no '.'.", nameof(Name));
        if (!Enum.IsDefined(Kind)) throw new ArgumentOutOfRangeException(nameof(Kind), Kind, $"Task '{Name}': kind must be one of {string.Join(", ", Enum.GetNames<TaskKind>())}.");
        int expected = Kind is TaskKind.Binary or TaskKind.Regression ? 1 : Outputs;
        if (Outputs < 1 || Outputs != expected || (Kind is TaskKind.Multiclass or TaskKind.Tagging && Outputs < 2))
            throw new ArgumentException($"Task '{Name}' ({Kind}) cannot have {Outputs} outputs.", nameof(Outputs));
        if (Kind == TaskKind.Tagging)
        {
            var tagger = Tagging ?? throw new ArgumentException($"Tagging task '{Name}' needs its tag set and head (Tagging).", nameof(Tagging));
            tagger.Validate();
            if (tagger.Tags.Length != Outputs) throw new ArgumentException($"Tagging task '{Name}' has {tagger.Tags.Length} tags but {Outputs} outputs.", nameof(Outputs));
            if (tagger.FeaturesOnly || tagger.BiLstmHidden > 0)
                throw new ArgumentException($"Tagging task '{Name}': a multi-task model fine-tunes its shared encoder, so the features route (frozen encoder, BiLSTM) is not available.", nameof(Tagging));
        }
        else if (Tagging is not null) throw new ArgumentException($"Task '{Name}' ({Kind}) is not a tagging task but has a tag set.", nameof(Tagging));
        return this;
    }
}
