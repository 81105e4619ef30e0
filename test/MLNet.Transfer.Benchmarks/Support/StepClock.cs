using System.Diagnostics;
using MLNet.Transfer.Training;

namespace MLNet.Transfer.Benchmarks.Support;

/// <summary>Records the wall time between consecutive training progress reports (one per step), synchronously on the training thread.</summary>
internal sealed class StepClock : IProgress<TrainingProgress>
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private double _last;

    public List<double> StepSeconds { get; } = [];

    public void Report(TrainingProgress value)
    {
        double now = _clock.Elapsed.TotalSeconds;
        StepSeconds.Add(now - _last);
        _last = now;
    }
}
