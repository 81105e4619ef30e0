using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transfer.Models.Heads;

/// <summary>Dense, activation and LayerNorm before the vocabulary projection (HF "BertPredictionHeadTransform").</summary>
public sealed class BertPredictionHeadTransform : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // field names are the checkpoint keys
    private readonly Linear dense;
    private readonly LayerNorm LayerNorm;
#pragma warning restore IDE1006
    private readonly string _activation;

    /// <summary>Creates the transform for <paramref name="config"/> (hidden → hidden).</summary>
    public BertPredictionHeadTransform(BertConfig config) : base(nameof(BertPredictionHeadTransform))
    {
        dense = nn.Linear(config.HiddenSize, config.HiddenSize);
        LayerNorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        _activation = config.HiddenAct;
        RegisterComponents();
    }

    /// <summary>LayerNorm(activation(dense(<paramref name="hidden"/>))).</summary>
    public override Tensor forward(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        var projected = dense.call(hidden);
        var activated = _activation switch
        {
            "relu" => nn.functional.relu(projected),
            "gelu_new" or "gelu_pytorch_tanh" => nn.functional.gelu(projected, GELU.Approximate.tanh),
            _ => nn.functional.gelu(projected),
        };
        return LayerNorm.call(activated).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// The transform, then a vocabulary projection whose weight IS the encoder's word-embedding matrix (tied, not a
/// copy) plus an output bias (HF "BertLMPredictionHead"). The tied weight is not registered here, so it appears
/// once in <c>parameters()</c> and the state dict (under the encoder's name), and gradients from both uses
/// accumulate in the same tensor.
/// </summary>
public sealed class BertLmPredictionHead : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006
    private readonly BertPredictionHeadTransform transform;
    private readonly Parameter bias;
#pragma warning restore IDE1006
    private readonly Func<Parameter> _decoderWeight;

    /// <summary>Creates the head; <paramref name="decoderWeight"/> returns the tied [vocab, hidden] matrix.</summary>
    public BertLmPredictionHead(BertConfig config, Func<Parameter> decoderWeight) : base(nameof(BertLmPredictionHead))
    {
        transform = new BertPredictionHeadTransform(config);
        bias = nn.Parameter(zeros(config.VocabSize));
        _decoderWeight = decoderWeight;
        RegisterComponents();
    }

    /// <summary>The vocabulary projection's weight: the encoder's word-embedding parameter itself.</summary>
    public Parameter DecoderWeight => _decoderWeight();

    /// <summary>Vocabulary logits [..., vocab] for hidden states [..., hidden].</summary>
    public override Tensor forward(Tensor hidden)
    {
        using var transformed = transform.call(hidden);
        return nn.functional.linear(transformed, _decoderWeight(), bias);
    }
}

/// <summary>
/// The language-model head of Hugging Face <c>BertForMaskedLM</c> / <c>BertLMHeadModel</c> (module "cls", keys
/// cls.predictions.transform.dense.*, cls.predictions.transform.LayerNorm.*, cls.predictions.bias; the decoder
/// weight is tied to embeddings.word_embeddings.weight and not stored separately).
/// </summary>
public sealed class BertLmHead : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006
    private readonly BertLmPredictionHead predictions;
#pragma warning restore IDE1006

    /// <summary>Creates a randomly initialised head (normal(0, initializer_range) weights, zero biases, unit LayerNorm).</summary>
    public BertLmHead(BertConfig config, Func<Parameter> decoderWeight) : base(nameof(BertLmHead))
    {
        predictions = new BertLmPredictionHead(config, decoderWeight);
        RegisterComponents();
        using var _ = no_grad();
        foreach (var (name, parameter) in named_parameters())
        {
            if (name.EndsWith("LayerNorm.weight", StringComparison.Ordinal)) nn.init.ones_(parameter);
            else if (name.EndsWith("bias", StringComparison.Ordinal)) nn.init.zeros_(parameter);
            else nn.init.normal_(parameter, 0, config.InitializerRange);
        }
    }

    /// <summary>The prediction head (transform + tied decoder + bias).</summary>
    public BertLmPredictionHead Predictions => predictions;

    /// <summary>Vocabulary logits [..., vocab] for hidden states [..., hidden].</summary>
    public override Tensor forward(Tensor hidden) => predictions.call(hidden);
}
