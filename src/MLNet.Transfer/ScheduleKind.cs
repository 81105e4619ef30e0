namespace MLNet.Transfer;

/// <summary>Shape of the learning rate over training.</summary>
public enum ScheduleKind
{
    /// <summary>Linear warm-up to the peak, then linear decay to 0 (BERT / Hugging Face default).</summary>
    LinearWarmupDecay,
    /// <summary>ULMFiT's slanted triangular rate: short linear rise, long linear fall to peak/ratio.</summary>
    SlantedTriangular,
    /// <summary>Linear warm-up, then constant.</summary>
    Constant,
}
