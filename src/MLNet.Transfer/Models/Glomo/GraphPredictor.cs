using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transfer.Models.Glomo;

/// <summary>
/// GLoMo's graph predictor (reduced): for each graph layer l and head h, a key and a query convolution over the token
/// embeddings give k_i and q_j, and the affinity matrix is G_ij = ReLU(k_i·q_j/√d + b)² / Σ_j' ReLU(k_i·q_j'/√d + b)²
/// over the allowed j (real tokens, and j ≤ i: the graphs of one direction never look ahead). The convolutions are
/// causal (position i sees tokens i − w + 1 … i), so nothing a graph row depends on lies after its position; the
/// right-to-left graphs are the same networks run on the reversed sequence.
/// </summary>
public sealed class GraphPredictor : nn.Module
{
    /// <summary>Added to every row's diagonal and sum, so a row with no positive affinity is a self-loop and every row sums to 1.</summary>
    public const double RowEpsilon = 1e-6;

#pragma warning disable IDE1006 // field names are the checkpoint keys
    private readonly ModuleList<Conv1d> key_convs;
    private readonly ModuleList<Conv1d> query_convs;
    private readonly Parameter bias;
#pragma warning restore IDE1006
    private readonly GlomoConfig _config;

    /// <summary>Creates the convolutions of every layer and the affinity biases (<see cref="GlomoConfig.GraphBiasInit"/>).</summary>
    public GraphPredictor(GlomoConfig config) : base(nameof(GraphPredictor))
    {
        _config = config;
        int width = config.Heads * config.KeySize;
        key_convs = new ModuleList<Conv1d>(Enumerable.Range(0, config.GraphLayers).Select(_ => nn.Conv1d(config.EmbeddingSize, width, config.ConvWidth)).ToArray());
        query_convs = new ModuleList<Conv1d>(Enumerable.Range(0, config.GraphLayers).Select(_ => nn.Conv1d(config.EmbeddingSize, width, config.ConvWidth)).ToArray());
        using (var init = ones(config.GraphLayers, config.Heads)) bias = nn.Parameter(init.Times(config.GraphBiasInit));
        RegisterComponents();
    }

    /// <summary>
    /// The left-to-right graphs of every layer, each [batch, heads, seq, seq] with rows summing to 1.
    /// </summary>
    /// <param name="embedded">Token embeddings [batch, seq, width], zero at padding.</param>
    /// <param name="mask">1 for real tokens, 0 for padding, float [batch, seq] (padding may be on either side).</param>
    public Tensor[] Forward(Tensor embedded, Tensor mask)
    {
        using var scope = NewDisposeScope();
        long batch = embedded.shape[0], seq = embedded.shape[1];
        var channels = nn.functional.pad(embedded.transpose(1, 2), [_config.ConvWidth - 1, 0]); // causal: left padding
        var allowed = ones(seq, seq, device: embedded.device).tril().unsqueeze(0).unsqueeze(0).mul(mask.unsqueeze(1).unsqueeze(1)); // [B,1,T,T]
        var graphs = new Tensor[_config.GraphLayers];
        double scale = 1 / Math.Sqrt(_config.KeySize);
        for (int l = 0; l < _config.GraphLayers; l++)
        {
            var keys = Heads(key_convs[l].call(channels), batch, seq);
            var queries = Heads(query_convs[l].call(channels), batch, seq);
            var scores = keys.matmul(queries.transpose(2, 3)).Times(scale).Plus(bias[l].view(1, -1, 1, 1));
            graphs[l] = SquaredReluRows(scores, allowed).MoveToOuterDisposeScope();
        }
        return graphs;
    }

    /// <summary>
    /// GLoMo's normalisation: ReLU(scores)² kept where <paramref name="allowed"/> is 1, each row divided by its sum.
    /// A tiny <see cref="RowEpsilon"/> on the diagonal and in the sum keeps rows with no positive affinity defined (a
    /// self-loop) and every row's sum exactly 1.
    /// </summary>
    /// <param name="scores">Affinities [..., seq, seq].</param>
    /// <param name="allowed">1 where an edge may exist, 0 elsewhere; broadcast against <paramref name="scores"/>.</param>
    public static Tensor SquaredReluRows(Tensor scores, Tensor allowed)
    {
        using var scope = NewDisposeScope();
        long seq = scores.shape[^1];
        var squared = nn.functional.relu(scores).square().mul(allowed);
        var self = eye(seq, dtype: scores.dtype, device: scores.device).Times(RowEpsilon);
        var rows = squared.sum(-1, keepdim: true).Plus(RowEpsilon);
        return squared.Plus(self).div(rows).MoveToOuterDisposeScope();
    }

    private Tensor Heads(Tensor convolved, long batch, long seq) =>
        convolved.transpose(1, 2).reshape(batch, seq, _config.Heads, _config.KeySize).permute(0, 2, 1, 3); // [B,H,T,K]
}
