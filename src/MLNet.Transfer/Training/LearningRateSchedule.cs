namespace MLNet.Transfer.Training;

/// <summary>Learning-rate multipliers per optimisation step (0-based), applied to each group's peak rate.</summary>
public static class LearningRateSchedule
{
    /// <summary>
    /// Multiplier in [0, 1] for <paramref name="step"/> of <paramref name="totalSteps"/>.
    /// Linear: step/warmup during warm-up (warmup = round(total·fraction)), then (total − step)/(total − warmup).
    /// Slanted triangular (Howard &amp; Ruder 2018, eq. 3): cut = ⌊total·fraction⌋, p = step/cut before the cut and
    /// 1 − (step − cut)/(cut·(1/fraction − 1)) after it, multiplier = (1 + p·(ratio − 1))/ratio.
    /// </summary>
    /// <param name="kind">Schedule shape.</param>
    /// <param name="step">Current step, 0-based.</param>
    /// <param name="totalSteps">Number of optimisation steps in the run.</param>
    /// <param name="warmupFraction">Warm-up share (linear/constant) or cut fraction (slanted triangular).</param>
    /// <param name="ratio">Slanted triangular: how much smaller the lowest rate is than the peak (ULMFiT: 32).</param>
    public static double Multiplier(ScheduleKind kind, int step, int totalSteps, double warmupFraction, double ratio = 32)
    {
        if (totalSteps <= 0) throw new ArgumentOutOfRangeException(nameof(totalSteps), totalSteps, "Must be positive.");
        if (warmupFraction is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(warmupFraction), warmupFraction, "Must be in [0, 1).");
        step = Math.Clamp(step, 0, totalSteps);
        switch (kind)
        {
            case ScheduleKind.SlantedTriangular:
            {
                if (ratio < 1) throw new ArgumentOutOfRangeException(nameof(ratio), ratio, "Must be at least 1.");
                int cut = Math.Max(1, (int)Math.Floor(totalSteps * Math.Max(warmupFraction, 1e-9)));
                double fraction = (double)cut / totalSteps;
                double p = step < cut ? (double)step / cut : 1 - (step - cut) / (cut * (1 / fraction - 1));
                return (1 + Math.Max(0, p) * (ratio - 1)) / ratio;
            }
            case ScheduleKind.LinearWarmupDecay:
            {
                int warmup = (int)Math.Round(totalSteps * warmupFraction);
                if (step < warmup) return (double)step / warmup;
                return Math.Max(0, (double)(totalSteps - step) / Math.Max(1, totalSteps - warmup));
            }
            case ScheduleKind.Constant:
            {
                int warmup = (int)Math.Round(totalSteps * warmupFraction);
                return step < warmup ? (double)step / warmup : 1;
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown schedule.");
        }
    }
}
