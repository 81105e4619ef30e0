namespace MLNet.Transfer;

/// <summary>How multi-task training draws its batches when tasks come from different data sets.</summary>
public enum TaskSampling
{
    /// <summary>All examples mixed and shuffled: each task is seen in proportion to its number of labelled examples.</summary>
    Proportional,
    /// <summary>
    /// Each batch comes from one data set (examples labelled for the same tasks), drawn with probability ∝ n^(1/T)
    /// (T = <see cref="Training.FineTuneSettings.SamplingTemperature"/>): T = 1 is proportional, large T approaches uniform, so
    /// small tasks are seen more often than their size alone would give (Arivazhagan et al. 2019; MT-DNN).
    /// </summary>
    Temperature,
}
