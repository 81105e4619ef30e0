namespace MLNet.Transfer.Training;

/// <summary>A progress report from a training run (sent after every step and every evaluation).</summary>
/// <param name="Epoch">Current epoch, 1-based.</param>
/// <param name="Epochs">Total epochs.</param>
/// <param name="Step">Optimisation steps done.</param>
/// <param name="TotalSteps">Optimisation steps planned.</param>
/// <param name="Loss">Mean training loss over the recent steps.</param>
/// <param name="LearningRate">Current peak learning rate (head group).</param>
/// <param name="TokensPerSecond">Training throughput (non-padding tokens) over the recent steps.</param>
/// <param name="Eta">Estimated time left.</param>
/// <param name="Validation">Validation metrics when this report follows an evaluation, else null.</param>
public sealed record TrainingProgress(int Epoch, int Epochs, int Step, int TotalSteps, double Loss, double LearningRate,
                                      double TokensPerSecond, TimeSpan Eta, IReadOnlyDictionary<string, double>? Validation);
