using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transfer.Models.Glomo;

/// <summary>
/// GLoMo-style (reduced) transfer: applies pretrained graphs to another model's token features. The layers' graphs are
/// mixed with learned softmax weights ("layer_weights") into one G, the features aggregated, m_t = Σ_j G_tj f_j, and
/// mixed with the originals by a learned gate, out_t = g_t ⊙ m_t + (1 − g_t) ⊙ f_t with g_t = σ(W [f_t; m_t] + c)
/// ("gate"). The gate starts at g = ½ (zero weights and bias).
/// </summary>
public sealed class GraphMixing : nn.Module<Tensor, Tensor, Tensor>
{
#pragma warning disable IDE1006 // field names are the checkpoint keys
    private readonly Parameter layer_weights;
    private readonly Linear gate;
#pragma warning restore IDE1006

    /// <summary>Creates the mixing for <paramref name="graphLayers"/> graph layers over features of <paramref name="width"/>.</summary>
    public GraphMixing(int graphLayers, int width) : base(nameof(GraphMixing))
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(graphLayers, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        layer_weights = nn.Parameter(zeros(graphLayers));
        gate = nn.Linear(2 * width, width);
        using (no_grad())
        {
            gate.weight!.zero_();
            gate.bias!.zero_();
        }
        RegisterComponents();
    }

    /// <summary>The gate's layer (weight [width, 2 × width], bias [width]).</summary>
    public Linear Gate => gate;

    /// <summary>Mixed features [batch, seq, width] from <paramref name="features"/> [batch, seq, width] and <paramref name="graphs"/> [layers, batch, seq, seq].</summary>
    public override Tensor forward(Tensor features, Tensor graphs)
    {
        using var scope = NewDisposeScope();
        var weights = nn.functional.softmax(layer_weights, 0).view(-1, 1, 1, 1);
        var graph = graphs.mul(weights).sum([0L]);
        var aggregated = graph.matmul(features);
        var g = sigmoid(gate.call(cat([features, aggregated], -1)));
        return g.mul(aggregated).Plus(g.neg().Plus(1.0).mul(features)).MoveToOuterDisposeScope();
    }
}
