using static TorchSharp.torch;

namespace MLNet.Transfer.Models.Bert;

/// <summary>Builds the additive attention masks consumed by scaled dot-product attention.</summary>
public static class AttentionMasks
{
    /// <summary>
    /// Turns a [batch, seq] padding mask (1 = token, 0 = pad) and/or causality into an additive mask
    /// [batch, 1, 1 or seq, seq] of 0 (attend) and the dtype's most negative value (ignore).
    /// Returns null when nothing is masked, which lets attention take its fastest path.
    /// </summary>
    public static Tensor? Additive(Tensor? paddingMask, bool causal, long seqLength, ScalarType dtype)
    {
        bool padded = paddingMask is not null && paddingMask.min().item<long>() == 0;
        if (!padded && !causal) return null;
        double negative = finfo(dtype).min;
        var device = paddingMask?.device ?? CPU;
        Tensor? additive = null;
        if (padded)
            additive = paddingMask!.EqualTo(0).to(dtype).Times(negative).view(paddingMask!.shape[0], 1, 1, seqLength);
        if (causal)
        {
            var future = ones(seqLength, seqLength, dtype: ScalarType.Bool, device: device).triu(1);
            var causalMask = zeros(seqLength, seqLength, dtype: dtype, device: device).FilledWhere(future, negative).view(1, 1, seqLength, seqLength);
            additive = additive is null ? causalMask : additive.Plus(causalMask).AtLeast(negative);
        }
        return additive;
    }
}
