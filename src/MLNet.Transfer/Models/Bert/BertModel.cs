using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transfer.Models.Bert;

/// <summary>The stack of transformer blocks (HF "BertEncoder": encoder.layer.N...).</summary>
public sealed class BertEncoder : nn.Module
{
#pragma warning disable IDE1006
    private readonly ModuleList<BertLayer> layer;
#pragma warning restore IDE1006

    /// <summary>Creates <see cref="EncoderConfig.NumHiddenLayers"/> blocks.</summary>
    public BertEncoder(EncoderConfig config) : base(nameof(BertEncoder))
    {
        layer = nn.ModuleList(Enumerable.Range(0, config.NumHiddenLayers).Select(_ => new BertLayer(config)).ToArray());
        RegisterComponents();
    }

    /// <summary>The blocks, bottom first.</summary>
    public IList<BertLayer> Layers => layer;
}

/// <summary>
/// A BERT encoder whose parameter names are the Hugging Face <c>BertModel</c> state-dict keys
/// (embeddings.*, encoder.layer.N.*), so checkpoints map 1:1. Returns every layer's hidden states.
/// </summary>
public sealed partial class BertModel : TextEncoder
{
#pragma warning disable IDE1006
    private readonly BertEmbeddings embeddings;
    private readonly BertEncoder encoder;
#pragma warning restore IDE1006

    /// <summary>Creates a randomly initialised encoder (weights drawn like Hugging Face's initialiser).</summary>
    public BertModel(EncoderConfig config) : base(nameof(BertModel))
    {
        Config = config.Validate();
        embeddings = new BertEmbeddings(config);
        encoder = new BertEncoder(config);
        RegisterComponents();
        InitializeWeights();
    }

    /// <summary>The architecture this model was built from.</summary>
    public EncoderConfig Config { get; }

    /// <summary>The embedding block.</summary>
    public BertEmbeddings Embeddings => embeddings;

    /// <summary>The transformer blocks, bottom first.</summary>
    public IList<BertLayer> Layers => encoder.Layers;

    /// <summary>
    /// Encodes a padded batch. Returns <see cref="EncoderConfig.NumHiddenLayers"/> + 1 hidden states
    /// [batch, seq, hidden]: the embedding output first, the last block's output last (as HF's
    /// output_hidden_states). With <paramref name="causal"/> each position attends only to itself and
    /// earlier positions; a decoder config (<see cref="EncoderConfig.IsDecoder"/>) is always causal.
    /// </summary>
    /// <param name="inputIds">Token ids, int64 [batch, seq].</param>
    /// <param name="tokenTypeIds">Segment ids, int64 [batch, seq].</param>
    /// <param name="attentionMask">1 for real tokens, 0 for padding, [batch, seq]; null means no padding.</param>
    /// <param name="causal">Use a causal (left-to-right) mask.</param>
    public Tensor[] Forward(Tensor inputIds, Tensor tokenTypeIds, Tensor? attentionMask, bool causal = false)
    {
        using var scope = NewDisposeScope();
        causal |= Config.IsDecoder == true;
        var additiveMask = AttentionMasks.Additive(attentionMask, causal, inputIds.shape[1], embeddings.WordEmbeddingWeight.dtype);
        var states = new Tensor[Layers.Count + 1];
        states[0] = embeddings.call(inputIds, tokenTypeIds);
        for (int i = 0; i < Layers.Count; i++)
            states[i + 1] = Layers[i].call(states[i], additiveMask);
        foreach (var state in states) state.MoveToOuterDisposeScope();
        return states;
    }

    private void InitializeWeights()
    {
        using var _ = no_grad();
        foreach (var (name, parameter) in named_parameters())
        {
            if (name.EndsWith("LayerNorm.weight", StringComparison.Ordinal)) nn.init.ones_(parameter);
            else if (name.EndsWith(".bias", StringComparison.Ordinal)) nn.init.zeros_(parameter);
            else nn.init.normal_(parameter, 0, Config.InitializerRange);
        }
    }
}
