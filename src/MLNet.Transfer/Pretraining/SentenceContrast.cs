using MLNet.Transfer.Models;
using MLNet.Transfer.Text;
using static TorchSharp.torch;

namespace MLNet.Transfer.Pretraining;

/// <summary>
/// Unsupervised SimCSE (Gao et al., 2021): every text of the batch is encoded twice with different dropout and
/// mean-pooled; each first view must pick its own second view among the batch's (cross-entropy over cosine
/// similarities / temperature). Added to the language-model loss it keeps a sentence encoder's embedding space
/// usable — and spreads the domain's sentences over it — while the token-level objective adapts the encoder.
/// </summary>
internal static class SentenceContrast
{
    /// <summary>The contrastive loss of <paramref name="windows"/> (unmasked [CLS] … [SEP] ids); the encoder must be in training mode.</summary>
    public static Tensor Loss(TextEncoder encoder, IReadOnlyList<int[]> windows, int padId, double temperature)
    {
        using var scope = NewDisposeScope();
        using var tokens = TokenBatch.Create(windows.Select(w => new EncodedText(w, new int[w.Length])).ToArray(), padId, encoder.Device);
        Tensor View() => nn.functional.normalize(Pooling.Pool(encoder.Forward(tokens.InputIds, tokens.TokenTypeIds, tokens.AttentionMask)[^1],
                                                                  tokens.AttentionMask, PoolingMode.Mean), p: 2, dim: 1);
        var similarity = View().matmul(View().t()).DividedBy(temperature);
        var loss = nn.functional.cross_entropy(similarity, Scalars.Range(windows.Count, encoder.Device));
        return loss.MoveToOuterDisposeScope();
    }
}
