namespace MLNet.Transfer.Models.Heads;

/// <summary>A named prediction task on top of the shared encoder.</summary>
/// <param name="Name">Task name (used for parameter names and output columns).</param>
/// <param name="Kind">Task kind.</param>
/// <param name="Outputs">Number of outputs: 1 for binary/regression, classes for multiclass, labels for multi-label.</param>
public sealed record TaskSpec(string Name, TaskKind Kind, int Outputs)
{
    /// <summary>Regression: mean of the training targets (the head predicts standardised values).</summary>
    public double TargetMean { get; init; }

    /// <summary>Regression: standard deviation of the training targets.</summary>
    public double TargetStd { get; init; } = 1;

    /// <summary>Relative weight of this task's loss in multi-task training. Default 1.</summary>
    public double LossWeight { get; init; } = 1;

    /// <summary>Checks the name and output count.</summary>
    public TaskSpec Validate()
    {
        if (string.IsNullOrWhiteSpace(Name) || Name.Contains('.'))
            throw new ArgumentException($"Task name '{Name}' must be non-empty and contain no '.'.", nameof(Name));
        int expected = Kind is TaskKind.Binary or TaskKind.Regression ? 1 : Outputs;
        if (Outputs < 1 || Outputs != expected || (Kind == TaskKind.Multiclass && Outputs < 2))
            throw new ArgumentException($"Task '{Name}' ({Kind}) cannot have {Outputs} outputs.", nameof(Outputs));
        return this;
    }
}
