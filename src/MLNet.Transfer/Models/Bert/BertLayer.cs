using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transfer.Models.Bert;

/// <summary>Dense projection, dropout, residual add and LayerNorm (HF "BertSelfOutput" / "BertOutput").</summary>
public sealed class BertResidualOutput : nn.Module<Tensor, Tensor, Tensor>
{
#pragma warning disable IDE1006
    private readonly Linear dense;
    private readonly LayerNorm LayerNorm;
    private readonly Dropout dropout;
#pragma warning restore IDE1006
    private BFloat16Linear? _dense16;

    /// <summary>Projects from <paramref name="inputSize"/> back to the hidden size.</summary>
    public BertResidualOutput(BertConfig config, int inputSize) : base(nameof(BertResidualOutput))
    {
        dense = nn.Linear(inputSize, config.HiddenSize);
        LayerNorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        dropout = nn.Dropout(config.HiddenDropoutProb);
        RegisterComponents();
    }

    /// <summary>LayerNorm(dropout(dense(<paramref name="x"/>)) + <paramref name="residual"/>).</summary>
    public override Tensor forward(Tensor x, Tensor residual)
    {
        using var scope = NewDisposeScope();
        return LayerNorm.call(CpuDropout.Apply(BFloat16Linear.Apply(dense, _dense16, x), dropout.p, training).Plus(residual)).MoveToOuterDisposeScope();
    }

    /// <summary>Makes (or drops) a bf16 copy of the projection for <see cref="BertModel.UseBFloat16Inference"/>.</summary>
    internal void SetBFloat16Copies(bool enabled) => BFloat16Linear.Refresh(ref _dense16, dense, enabled);
}

/// <summary>Self-attention followed by its residual output (HF "BertAttention").</summary>
public sealed class BertAttention : nn.Module<Tensor, Tensor?, Tensor>
{
#pragma warning disable IDE1006, CS8981
    private readonly BertSelfAttention self;
    private readonly BertResidualOutput output;
#pragma warning restore IDE1006, CS8981

    /// <summary>Creates the attention block for <paramref name="config"/>.</summary>
    public BertAttention(BertConfig config) : base(nameof(BertAttention))
    {
        self = new BertSelfAttention(config);
        output = new BertResidualOutput(config, config.HiddenSize);
        RegisterComponents();
    }

    /// <inheritdoc cref="BertSelfAttention.forward"/>
    public override Tensor forward(Tensor hidden, Tensor? additiveMask)
    {
        using var attended = self.call(hidden, additiveMask);
        return output.call(attended, hidden);
    }

    /// <summary>Makes (or drops) bf16 copies of the projections for <see cref="BertModel.UseBFloat16Inference"/>.</summary>
    internal void SetBFloat16Copies(bool enabled)
    {
        self.SetBFloat16Copies(enabled);
        output.SetBFloat16Copies(enabled);
    }
}

/// <summary>The feed-forward expansion with its activation (HF "BertIntermediate").</summary>
public sealed class BertIntermediate : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006
    private readonly Linear dense;
#pragma warning restore IDE1006
    private readonly string _activation;
    private BFloat16Linear? _dense16;

    /// <summary>Creates the expansion for <paramref name="config"/>.</summary>
    public BertIntermediate(BertConfig config) : base(nameof(BertIntermediate))
    {
        dense = nn.Linear(config.HiddenSize, config.IntermediateSize);
        _activation = config.HiddenAct;
        RegisterComponents();
    }

    /// <summary>activation(dense(<paramref name="hidden"/>)).</summary>
    public override Tensor forward(Tensor hidden)
    {
        using var projected = BFloat16Linear.Apply(dense, _dense16, hidden);
        return _activation switch
        {
            "relu" => nn.functional.relu(projected),
            "gelu_new" or "gelu_pytorch_tanh" => nn.functional.gelu(projected, TorchSharp.Modules.GELU.Approximate.tanh),
            _ => nn.functional.gelu(projected),
        };
    }

    /// <summary>Makes (or drops) a bf16 copy of the expansion for <see cref="BertModel.UseBFloat16Inference"/>.</summary>
    internal void SetBFloat16Copies(bool enabled) => BFloat16Linear.Refresh(ref _dense16, dense, enabled);
}

/// <summary>One post-LayerNorm transformer block (HF "BertLayer").</summary>
public sealed class BertLayer : nn.Module<Tensor, Tensor?, Tensor>
{
#pragma warning disable IDE1006
    private readonly BertAttention attention;
    private readonly BertIntermediate intermediate;
    private readonly BertResidualOutput output;
#pragma warning restore IDE1006

    /// <summary>Creates a block for <paramref name="config"/>.</summary>
    public BertLayer(BertConfig config) : base(nameof(BertLayer))
    {
        attention = new BertAttention(config);
        intermediate = new BertIntermediate(config);
        output = new BertResidualOutput(config, config.IntermediateSize);
        RegisterComponents();
    }

    /// <inheritdoc cref="BertSelfAttention.forward"/>
    public override Tensor forward(Tensor hidden, Tensor? additiveMask)
    {
        using var scope = NewDisposeScope();
        var attended = attention.call(hidden, additiveMask);
        return output.call(intermediate.call(attended), attended).MoveToOuterDisposeScope();
    }

    /// <summary>Makes (or drops) bf16 copies of the block's projections for <see cref="BertModel.UseBFloat16Inference"/>.</summary>
    internal void SetBFloat16Copies(bool enabled)
    {
        attention.SetBFloat16Copies(enabled);
        intermediate.SetBFloat16Copies(enabled);
        output.SetBFloat16Copies(enabled);
    }
}
