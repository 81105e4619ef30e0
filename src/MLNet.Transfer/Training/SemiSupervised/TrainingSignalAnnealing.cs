namespace MLNet.Transfer.Training.SemiSupervised;

/// <summary>UDA's training-signal annealing: which labelled examples still count in the supervised loss at a step.</summary>
public static class TrainingSignalAnnealing
{
    /// <summary>
    /// η_t = α_t (1 − 1/K) + 1/K for step <paramref name="step"/> (0-based) of <paramref name="totalSteps"/> with
    /// <paramref name="classes"/> classes; α_t from <paramref name="schedule"/> (see <see cref="AnnealingSchedule"/>).
    /// <see cref="AnnealingSchedule.None"/> gives 1 (nothing is ever left out).
    /// </summary>
    public static double Threshold(AnnealingSchedule schedule, int step, int totalSteps, int classes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(totalSteps, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 2);
        double t = Math.Clamp((double)step / totalSteps, 0, 1);
        double alpha = schedule switch
        {
            AnnealingSchedule.None => 1,
            AnnealingSchedule.Linear => t,
            AnnealingSchedule.Log => 1 - Math.Exp(-5 * t),
            AnnealingSchedule.Exp => Math.Exp(5 * (t - 1)),
            _ => throw new ArgumentOutOfRangeException(nameof(schedule), schedule, "Unknown annealing schedule."),
        };
        return alpha * (1 - 1.0 / classes) + 1.0 / classes;
    }
}
