using MLNet.Transfer.Training;

namespace MLNet.Transfer.Tests;

/// <summary>IProgress that reports synchronously on the training thread (Progress&lt;T&gt; posts asynchronously), e.g. to cancel at a given step.</summary>
internal sealed class SyncProgress(Action<TrainingProgress> action) : IProgress<TrainingProgress>
{
    public void Report(TrainingProgress value) => action(value);
}
