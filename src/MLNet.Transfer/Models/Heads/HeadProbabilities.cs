namespace MLNet.Transfer.Models.Heads;

/// <summary>Probabilities from a head's outputs on the CPU: the one sigmoid and softmax every caller uses, so they agree to the bit.</summary>
internal static class HeadProbabilities
{
    /// <summary>The probability of the positive class from a binary logit.</summary>
    public static float Sigmoid(float logit) => 1f / (1f + MathF.Exp(-logit));

    /// <summary>The softmax of <paramref name="logits"/> (shifted by their maximum, so large logits do not overflow).</summary>
    public static float[] Softmax(IReadOnlyCollection<float> logits)
    {
        float max = logits.Max();
        var e = logits.Select(l => MathF.Exp(l - max)).ToArray();
        float sum = e.Sum();
        return e.Select(v => v / sum).ToArray();
    }
}
