namespace MLNet.Transfer;

/// <summary>How token states become one sentence vector.</summary>
public enum PoolingMode
{
    /// <summary>The first ([CLS]) token's state.</summary>
    Cls,
    /// <summary>Mean over real (non-padding) tokens — what sentence-transformers models are trained with.</summary>
    Mean,
    /// <summary>Element-wise maximum over real tokens.</summary>
    Max,
    /// <summary>Mean and max concatenated (twice the width).</summary>
    MeanMax,
    /// <summary>The last real token's state: what a left-to-right recurrent model has read the whole text into.</summary>
    Last,
    /// <summary>ULMFiT's concat pooling: last, max and mean concatenated (three times the width).</summary>
    LastMaxMean,
}
