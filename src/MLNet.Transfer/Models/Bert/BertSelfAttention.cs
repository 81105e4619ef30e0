using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transfer.Models.Bert;

/// <summary>Multi-head scaled dot-product self-attention with query/key/value projections.</summary>
public sealed class BertSelfAttention : nn.Module<Tensor, Tensor?, Tensor>
{
#pragma warning disable IDE1006
    private readonly Linear query;
    private readonly Linear key;
    private readonly Linear value;
#pragma warning restore IDE1006
    private readonly int _heads;
    private readonly int _headSize;
    private readonly double _dropout;
    private BFloat16Linear? _query16, _key16, _value16;

    /// <summary>Creates randomly initialised projections for <paramref name="config"/>.</summary>
    public BertSelfAttention(BertConfig config) : base(nameof(BertSelfAttention))
    {
        query = nn.Linear(config.HiddenSize, config.HiddenSize);
        key = nn.Linear(config.HiddenSize, config.HiddenSize);
        value = nn.Linear(config.HiddenSize, config.HiddenSize);
        _heads = config.NumAttentionHeads;
        _headSize = config.HeadSize;
        _dropout = config.AttentionProbsDropoutProb;
        RegisterComponents();
    }

    /// <summary>
    /// Attends over <paramref name="hidden"/> [batch, seq, hidden]. <paramref name="additiveMask"/> is
    /// [batch, 1, 1 or seq, seq] with 0 where attention is allowed and a large negative value elsewhere,
    /// or null when every position may attend to every other.
    /// </summary>
    public override Tensor forward(Tensor hidden, Tensor? additiveMask)
    {
        using var scope = NewDisposeScope();
        long batch = hidden.shape[0], seq = hidden.shape[1];
        Tensor Heads(Linear projection, BFloat16Linear? reduced) =>
            BFloat16Linear.Apply(projection, reduced, hidden).view(batch, seq, _heads, _headSize).transpose(1, 2);
        var (q, k, v) = (Heads(query, _query16), Heads(key, _key16), Heads(value, _value16));
        var context = seq <= ExplicitAttentionMaxTokens && hidden.device_type == TorchSharp.DeviceType.CPU
            ? ExplicitAttention(q, k, v, additiveMask)
            : nn.functional.scaled_dot_product_attention(q, k, v, additiveMask, training ? _dropout : 0.0);
        return context.transpose(1, 2).reshape(batch, seq, _heads * _headSize).MoveToOuterDisposeScope();
    }

    /// <summary>Longest sequence attended on the CPU with <see cref="ExplicitAttention"/> (inference and training).</summary>
    internal const int ExplicitAttentionMaxTokens = 128;

    /// <summary>
    /// softmax(q kᵀ / √d + mask) v as three plain ops. On the CPU at short lengths LibTorch's fused
    /// scaled_dot_product_attention is slower than this (measured in the README's performance section); longer
    /// sequences keep the fused kernel, which never holds the [seq, seq] scores. Dropout on the attention probabilities as BERT's in training.
    /// </summary>
    private Tensor ExplicitAttention(Tensor q, Tensor k, Tensor v, Tensor? additiveMask)
    {
        var scores = q.matmul(k.transpose(-1, -2)).TimesInPlace(1 / Math.Sqrt(_headSize));
        if (additiveMask is not null) scores.PlusInPlace(additiveMask);
        var probabilities = scores.softmax(-1);
        probabilities = CpuDropout.Apply(probabilities, _dropout, training);
        return probabilities.matmul(v);
    }

    /// <summary>Makes (or drops) bf16 copies of the projections for <see cref="BertModel.UseBFloat16Inference"/>.</summary>
    internal void SetBFloat16Copies(bool enabled)
    {
        BFloat16Linear.Refresh(ref _query16, query, enabled);
        BFloat16Linear.Refresh(ref _key16, key, enabled);
        BFloat16Linear.Refresh(ref _value16, value, enabled);
    }
}
