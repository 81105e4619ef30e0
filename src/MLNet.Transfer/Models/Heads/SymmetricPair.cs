using MLNet.Transfer.Text;
using static TorchSharp.torch;

namespace MLNet.Transfer.Models.Heads;

/// <summary>
/// The OpenAI transformer's (GPT-1) input transformation for similarity: a pair has no natural order, so both orderings,
/// [CLS] a [SEP] b [SEP] and [CLS] b [SEP] a [SEP] (the delimiter-joined pairs of <see cref="BertWordPieceTokenizer.EncodePair"/>),
/// go through the encoder and their pooled vectors are added element-wise before the heads. The score is then the same
/// whichever text comes first — which matters for a causal encoder, where each token sees only those before it.
/// </summary>
public static class SymmetricPair
{
    /// <summary>Both orderings of each pair: element i of the first array is (first[i]; second[i]), of the second (second[i]; first[i]).</summary>
    public static (EncodedText[] Forward, EncodedText[] Backward) Encode(BertWordPieceTokenizer tokenizer, IReadOnlyList<string> first,
                                                                        IReadOnlyList<string> second, int maxTokens)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        if (first.Count != second.Count) throw new ArgumentException($"{first.Count} first texts but {second.Count} second texts.", nameof(second));
        return ([.. first.Select((a, i) => tokenizer.EncodePair(a, second[i], maxTokens))],
                [.. first.Select((a, i) => tokenizer.EncodePair(second[i], a, maxTokens))]);
    }

    /// <summary>Logits of every sentence head [pairs, outputs] from the summed pooled vectors of the two orderings (batches of the same pairs, in the same row order).</summary>
    public static Dictionary<string, Tensor> Forward(TransferModel model, TokenBatch forward, TokenBatch backward)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (forward.BatchSize != backward.BatchSize)
            throw new ArgumentException($"The orderings hold {forward.BatchSize} and {backward.BatchSize} pairs; they must be the same pairs.", nameof(backward));
        using var scope = NewDisposeScope();
        var summed = model.Features(forward.InputIds, forward.TokenTypeIds, forward.AttentionMask)
                          .Plus(model.Features(backward.InputIds, backward.TokenTypeIds, backward.AttentionMask));
        var logits = model.HeadsOn(summed);
        foreach (var l in logits.Values) l.MoveToOuterDisposeScope();
        return logits;
    }
}
