namespace MLNet.Transfer.Training;

/// <summary>Training diverged (NaN or infinite loss or gradients). The last checkpoint on disk is intact.</summary>
public sealed class TrainingDivergedException(string message) : Exception(message);
