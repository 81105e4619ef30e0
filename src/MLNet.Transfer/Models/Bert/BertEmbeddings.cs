using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transfer.Models.Bert;

/// <summary>Word + position + token-type embeddings, then LayerNorm and dropout (Hugging Face names).</summary>
public sealed class BertEmbeddings : nn.Module<Tensor, Tensor, Tensor>
{
#pragma warning disable IDE1006 // field names are the checkpoint keys
    private readonly Embedding word_embeddings;
    private readonly Embedding position_embeddings;
    private readonly Embedding token_type_embeddings;
    private readonly LayerNorm LayerNorm;
    private readonly Dropout dropout;
#pragma warning restore IDE1006

    /// <summary>Creates randomly initialised embeddings for <paramref name="config"/>.</summary>
    public BertEmbeddings(BertConfig config) : base(nameof(BertEmbeddings))
    {
        word_embeddings = nn.Embedding(config.VocabSize, config.HiddenSize, padding_idx: config.PadTokenId);
        position_embeddings = nn.Embedding(config.MaxPositionEmbeddings, config.HiddenSize);
        token_type_embeddings = nn.Embedding(config.TypeVocabSize, config.HiddenSize);
        LayerNorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        dropout = nn.Dropout(config.HiddenDropoutProb);
        RegisterComponents();
    }

    /// <summary>The word-embedding matrix [vocab, hidden], shared with tied language-model heads.</summary>
    public Parameter WordEmbeddingWeight => word_embeddings.weight!;

    /// <summary>
    /// The device holding the weights. Use this rather than <c>WordEmbeddingWeight.device</c> outside a dispose scope:
    /// TorchSharp returns a new tensor handle on every <c>weight</c> access, which would otherwise stay alive until
    /// the garbage collector finalizes it (one per prediction batch).
    /// </summary>
    public Device Device
    {
        get
        {
            using var weight = word_embeddings.weight!;
            return weight.device;
        }
    }

    /// <summary>Embeds <paramref name="inputIds"/> [batch, seq] with segment ids <paramref name="tokenTypeIds"/>.</summary>
    public override Tensor forward(Tensor inputIds, Tensor tokenTypeIds)
    {
        using var scope = NewDisposeScope();
        long seqLength = inputIds.shape[1];
        var positions = Scalars.Range(seqLength, inputIds.device).unsqueeze(0);
        var sum = word_embeddings.call(inputIds).Plus(position_embeddings.call(positions)).Plus(token_type_embeddings.call(tokenTypeIds));
        return CpuDropout.Apply(LayerNorm.call(sum), dropout.p, training).MoveToOuterDisposeScope();
    }
}
