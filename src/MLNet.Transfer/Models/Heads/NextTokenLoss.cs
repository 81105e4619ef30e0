using MLNet.Transfer.Models.Bert;
using static TorchSharp.torch;

namespace MLNet.Transfer.Models.Heads;

/// <summary>
/// The causal language-model loss of a padded batch from token states the encoder has already computed: position t of
/// each text predicts the id at t + 1 while that is a real token (the last real token and padding predict nothing) —
/// the targets of causal pretraining. GPT-1's auxiliary fine-tuning objective reuses the task's own forward pass this way.
/// </summary>
public static class NextTokenLoss
{
    /// <summary>Whether <paramref name="encoder"/> reads left to right and has a BERT language-model head shape: a decoder (is_decoder) BERT.</summary>
    public static bool AppliesTo(TextEncoder encoder) => encoder is BertModel { Config.IsDecoder: true };

    /// <summary>Mean cross-entropy over every predicted position of the batch (0 when no text has two tokens).</summary>
    /// <param name="head">The language-model head (tied to the encoder's word embeddings).</param>
    /// <param name="lastStates">The encoder's last-layer token states [batch, seq, hidden] for <paramref name="inputIds"/>.</param>
    /// <param name="inputIds">Token ids [batch, seq], padded on the right.</param>
    /// <param name="attentionMask">[batch, seq]: 1 for a real token, 0 for padding.</param>
    public static Tensor Compute(BertLmHead head, Tensor lastStates, Tensor inputIds, Tensor attentionMask)
    {
        using var scope = NewDisposeScope();
        long seq = inputIds.shape[1];
        if (seq < 2) return zeros(1, device: lastStates.device).sum().MoveToOuterDisposeScope();
        var predicts = attentionMask.narrow(1, 1, seq - 1).reshape(-1).NotEqualTo(0L);         // position t has a real token at t + 1
        var rows = predicts.nonzero().squeeze(1);
        if (rows.shape[0] == 0) return zeros(1, device: lastStates.device).sum().MoveToOuterDisposeScope();
        var states = lastStates.narrow(1, 0, seq - 1).reshape(-1, lastStates.shape[2]).index_select(0, rows);
        var targets = inputIds.narrow(1, 1, seq - 1).reshape(-1).index_select(0, rows).to(ScalarType.Int64);
        return nn.functional.cross_entropy(head.call(states), targets).MoveToOuterDisposeScope();
    }
}
