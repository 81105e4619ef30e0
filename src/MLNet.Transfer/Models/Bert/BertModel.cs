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

    /// <summary>Creates <see cref="BertConfig.NumHiddenLayers"/> blocks.</summary>
    public BertEncoder(BertConfig config) : base(nameof(BertEncoder))
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
    private bool _bfloat16Inference;

    /// <summary>Creates a randomly initialised encoder (weights drawn like Hugging Face's initialiser).</summary>
    public BertModel(BertConfig config) : base(nameof(BertModel))
    {
        Config = config.Validate();
        embeddings = new BertEmbeddings(config);
        encoder = new BertEncoder(config);
        RegisterComponents();
        InitializeWeights();
    }

    /// <summary>The architecture this model was built from.</summary>
    public BertConfig Config { get; }

    /// <summary>The embedding block.</summary>
    public BertEmbeddings Embeddings => embeddings;

    /// <summary>The transformer blocks, bottom first.</summary>
    public IList<BertLayer> Layers => encoder.Layers;

    /// <summary>True after <see cref="UseBFloat16Inference"/>: inference (eval mode, no gradients) multiplies in bfloat16.</summary>
    public override bool BFloat16Inference => _bfloat16Inference;

    /// <summary>
    /// Opt-in reduced precision for inference: the transformer blocks' dense layers (query/key/value, attention output,
    /// feed-forward) multiply with bfloat16 copies of their weights, accumulating in fp32; embeddings, LayerNorm, softmax,
    /// residuals, pooling and all outputs stay fp32. Faster on CPUs with AVX512-BF16 or AMX (measured figures in the
    /// README's performance section), little help where there is none; sentence vectors stay within cosine 0.9999 of fp32 for all-MiniLM-L6-v2. Applies only in
    /// eval mode with gradients disabled (e.g. under <c>torch.inference_mode()</c>, as every embedding and prediction
    /// path runs): training does not use them (bf16 training is <see cref="TrainingPrecision.BFloat16Mixed"/>, which casts
    /// the current weights per step), and the copies are refreshed when the model returns to eval mode.
    /// Costs half the dense weights' memory again. Call it again after changing the weights while in eval mode.
    /// </summary>
    /// <param name="enabled">True to use bf16 for inference, false for fp32 (the default).</param>
    public override void UseBFloat16Inference(bool enabled = true)
    {
        _bfloat16Inference = enabled;
        SetBFloat16Copies(enabled && !training);
    }

    /// <summary>Switches between training and eval mode; with <see cref="BFloat16Inference"/>, eval mode refreshes the bf16 copies.</summary>
    /// <param name="on">True for training mode.</param>
    public override void train(bool on = true)
    {
        base.train(on);
        if (BFloat16Inference)
            SetBFloat16Copies(!on);
    }

    /// <summary>
    /// Encodes a padded batch. Returns <see cref="BertConfig.NumHiddenLayers"/> + 1 hidden states
    /// [batch, seq, hidden]: the embedding output first, the last block's output last (as HF's
    /// output_hidden_states). With <paramref name="causal"/> each position attends only to itself and
    /// earlier positions; a decoder config (<see cref="BertConfig.IsDecoder"/>) is always causal.
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

    private void SetBFloat16Copies(bool enabled)
    {
        foreach (var layer in Layers)
            layer.SetBFloat16Copies(enabled);
    }

    /// <summary>Frees the bf16 copies with the module.</summary>
    /// <param name="disposing">True when called from Dispose.</param>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
            SetBFloat16Copies(false);
        base.Dispose(disposing);
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
