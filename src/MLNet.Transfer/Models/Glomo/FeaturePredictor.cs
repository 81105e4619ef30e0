using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transfer.Models.Glomo;

/// <summary>
/// One layer of GLoMo's feature predictor (reduced): each head's graph aggregates its slice of the previous features,
/// m_i = Σ_j G_ij f_j, and the update f'_i = LayerNorm(f_i + W₂ ReLU(W₁ [f_i; m_i])) mixes them position-wise, so
/// f'_i depends on nothing outside the graph row of i.
/// </summary>
public sealed class GraphLayer : nn.Module<Tensor, Tensor, Tensor>
{
#pragma warning disable IDE1006 // field names are the checkpoint keys
    private readonly Linear update_in;
    private readonly Linear update_out;
    private readonly LayerNorm layer_norm;
#pragma warning restore IDE1006
    private readonly int _heads;
    private readonly double _dropout;

    /// <summary>Creates a layer of <paramref name="config"/>'s width.</summary>
    public GraphLayer(GlomoConfig config) : base(nameof(GraphLayer))
    {
        _heads = config.Heads;
        _dropout = config.Dropout;
        update_in = nn.Linear(2 * config.EmbeddingSize, 2 * config.EmbeddingSize);
        update_out = nn.Linear(2 * config.EmbeddingSize, config.EmbeddingSize);
        layer_norm = nn.LayerNorm(config.EmbeddingSize);
        RegisterComponents();
    }

    /// <summary>Next features [batch, seq, width] from <paramref name="features"/> and the layer's graphs [batch, heads, seq, seq].</summary>
    public override Tensor forward(Tensor features, Tensor graphs)
    {
        using var scope = NewDisposeScope();
        var aggregated = Aggregate(graphs, features, _heads);
        var update = update_out.call(nn.functional.relu(update_in.call(cat([features, aggregated], -1))));
        return layer_norm.call(features.Plus(nn.functional.dropout(update, _dropout, training))).MoveToOuterDisposeScope();
    }

    /// <summary>Σ_j G_ij f_j per head: head h's graph [batch, heads, seq, seq] weighs the h-th slice of the features [batch, seq, width].</summary>
    public static Tensor Aggregate(Tensor graphs, Tensor features, int heads)
    {
        using var scope = NewDisposeScope();
        long batch = features.shape[0], seq = features.shape[1], width = features.shape[2];
        var slices = features.reshape(batch, seq, heads, width / heads).permute(0, 2, 1, 3);
        return graphs.matmul(slices).permute(0, 2, 1, 3).reshape(batch, seq, width).MoveToOuterDisposeScope();
    }
}

/// <summary>GLoMo's feature predictor (reduced): one <see cref="GraphLayer"/> per graph layer ("layers.N").</summary>
public sealed class FeaturePredictor : nn.Module<Tensor, Tensor[], Tensor>
{
#pragma warning disable IDE1006
    private readonly ModuleList<GraphLayer> layers;
#pragma warning restore IDE1006

    /// <summary>Creates <see cref="GlomoConfig.GraphLayers"/> layers.</summary>
    public FeaturePredictor(GlomoConfig config) : base(nameof(FeaturePredictor))
    {
        layers = new ModuleList<GraphLayer>(Enumerable.Range(0, config.GraphLayers).Select(_ => new GraphLayer(config)).ToArray());
        RegisterComponents();
    }

    /// <summary>The features after every layer (layer l aggregates over <paramref name="graphs"/>[l]); the last is the top.</summary>
    public override Tensor forward(Tensor embedded, Tensor[] graphs) => States(embedded, graphs)[^1];

    /// <summary>The features after each layer, [batch, seq, width] each.</summary>
    public Tensor[] States(Tensor embedded, Tensor[] graphs)
    {
        var states = new Tensor[layers.Count];
        var current = embedded;
        for (int l = 0; l < layers.Count; l++) states[l] = current = layers[l].call(current, graphs[l]);
        return states;
    }
}

/// <summary>
/// The prediction layer: for each offset d = 1 … D a transform tanh(W_d f + c_d) ("transforms.(d−1)"), then the
/// vocabulary projection tied to the embedding matrix plus an output bias ("bias").
/// </summary>
public sealed class GlomoDecoder : nn.Module
{
#pragma warning disable IDE1006
    private readonly ModuleList<Linear> transforms;
    private readonly Parameter bias;
#pragma warning restore IDE1006
    private readonly Func<Parameter> _weight;

    /// <summary>Creates D transforms and a zero bias; <paramref name="weight"/> returns the tied [vocab, width] embedding matrix.</summary>
    public GlomoDecoder(GlomoConfig config, Func<Parameter> weight) : base(nameof(GlomoDecoder))
    {
        transforms = new ModuleList<Linear>(Enumerable.Range(0, config.PredictionSteps).Select(_ => nn.Linear(config.EmbeddingSize, config.EmbeddingSize)).ToArray());
        bias = nn.Parameter(zeros(config.VocabSize));
        _weight = weight;
        RegisterComponents();
    }

    /// <summary>The output bias [vocab].</summary>
    public Parameter Bias => bias;

    /// <summary>Vocabulary logits [rows, vocab] of the token <paramref name="offset"/> steps away (1-based) from states [rows, width].</summary>
    public Tensor Logits(Tensor states, int offset)
    {
        using var weight = _weight();
        using var transformed = tanh(transforms[offset - 1].call(states));
        return nn.functional.linear(transformed, weight, bias);
    }
}
