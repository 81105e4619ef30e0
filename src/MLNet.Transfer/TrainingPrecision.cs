namespace MLNet.Transfer;

/// <summary>The arithmetic of fine-tuning's matrix products.</summary>
public enum TrainingPrecision
{
    /// <summary>
    /// <see cref="BFloat16Mixed"/> where the CPU has bfloat16 units (AVX512-BF16 or AMX), else <see cref="Float32"/>.
    /// Checked once per process; on a GPU device the same as <see cref="Float32"/>.
    /// </summary>
    Auto,
    /// <summary>Everything in fp32 (bit-identical results for a seed on one machine).</summary>
    Float32,
    /// <summary>
    /// Mixed precision, autocast-style: the encoder's dense layers multiply in bfloat16 (inputs and weights cast per
    /// step, products accumulated in fp32), while the master weights, LayerNorm, softmax, the loss, the gradients seen by
    /// the optimizer and the AdamW state stay fp32. Faster on CPUs with bfloat16 units, slower without them.
    /// </summary>
    BFloat16Mixed,
}
