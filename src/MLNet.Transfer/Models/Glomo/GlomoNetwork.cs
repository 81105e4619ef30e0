using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transfer.Models.Glomo;

/// <summary>
/// A GLoMo-style (reduced) network: word-piece embeddings ("embeddings"), a <see cref="GraphPredictor"/>
/// ("graph_predictor"), a <see cref="FeaturePredictor"/> ("feature_predictor") and a <see cref="GlomoDecoder"/>
/// ("decoder"). Each direction runs on its own: left to right, position t's graphs and features see only tokens ≤ t
/// and predict tokens t + 1 … t + D; right to left, the same networks run on the reversed sequence. At transfer time
/// only the graphs move over (<see cref="TransferGraphs"/>).
/// </summary>
public sealed class GlomoNetwork : TextEncoder
{
    /// <summary>Label of positions that predict nothing.</summary>
    public const int IgnoreLabel = -100;

    /// <summary>Embeddings start uniform in ± this.</summary>
    public const double EmbeddingInitRange = 0.1;

#pragma warning disable IDE1006 // field names are the checkpoint keys
    private readonly Embedding embeddings;
    private readonly GraphPredictor graph_predictor;
    private readonly FeaturePredictor feature_predictor;
    private readonly GlomoDecoder decoder;
#pragma warning restore IDE1006

    /// <summary>Builds a randomly initialised network of shape <paramref name="config"/>.</summary>
    public GlomoNetwork(GlomoConfig config) : base("GlomoModel")
    {
        Config = config.Validate();
        embeddings = nn.Embedding(config.VocabSize, config.EmbeddingSize, padding_idx: config.PadTokenId);
        using (no_grad())
        {
            nn.init.uniform_(embeddings.weight!, -EmbeddingInitRange, EmbeddingInitRange); // small, as AWD-LSTM's: the tied softmax starts near uniform
            embeddings.weight![config.PadTokenId].zero_();
        }
        graph_predictor = new GraphPredictor(config);
        feature_predictor = new FeaturePredictor(config);
        decoder = new GlomoDecoder(config, () => embeddings.weight!);
        RegisterComponents();
    }

    /// <summary>The architecture.</summary>
    public GlomoConfig Config { get; }

    /// <summary>The prediction layer (its own parameters: transforms and output bias).</summary>
    public GlomoDecoder Decoder => decoder;

    /// <summary>The graph predictor.</summary>
    public GraphPredictor GraphPredictor => graph_predictor;

    /// <inheritdoc/>
    public override string ModelType => GlomoConfig.GlomoType;

    /// <inheritdoc/>
    public override int LayerCount => Config.GraphLayers;

    /// <summary>Embeddings: <see cref="GlomoConfig.EmbeddingSize"/>; layer l: left-to-right ‖ right-to-left features, twice that (the embeddings doubled too).</summary>
    public override int LayerWidth(int layer)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(layer);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(layer, LayerCount);
        return 2 * Config.EmbeddingSize;
    }

    /// <inheritdoc/>
    public override int MaxTokens => Config.MaxPositionEmbeddings;

    /// <inheritdoc/>
    public override int VocabSize => Config.VocabSize;

    /// <inheritdoc/>
    public override bool LowerCase => Config.DoLowerCase;

    /// <inheritdoc/>
    public override Device Device
    {
        get
        {
            using var weight = embeddings.weight!;
            return weight.device;
        }
    }

    /// <summary>"embeddings.*" → 0, "graph_predictor.*_convs.l.*" and "feature_predictor.layers.l.*" → l + 1, the rest (biases, decoder) → the top.</summary>
    public override int LayerOf(string parameterName)
    {
        if (parameterName.StartsWith("embeddings.", StringComparison.Ordinal)) return 0;
        foreach (var prefix in (string[])["graph_predictor.key_convs.", "graph_predictor.query_convs.", "feature_predictor.layers."])
            if (parameterName.StartsWith(prefix, StringComparison.Ordinal))
            {
                int end = parameterName.IndexOf('.', prefix.Length);
                return int.Parse(parameterName.AsSpan(prefix.Length, end - prefix.Length)) + 1;
            }
        return LayerCount;
    }

    /// <inheritdoc/>
    public override string ToConfigJson() => Config.ToJson();

    /// <summary>Every layer's features, left-to-right ‖ right-to-left (the embeddings duplicated first), like ELMo's biLM.</summary>
    public override Tensor[] Forward(Tensor inputIds, Tensor tokenTypeIds, Tensor? attentionMask)
    {
        using var scope = NewDisposeScope();
        var mask = MaskOf(inputIds, attentionMask);
        var (_, forward, embedded) = Direction(inputIds, mask);
        var (_, backward, _) = Direction(inputIds.flip(1), mask.flip(1));
        var states = new Tensor[LayerCount + 1];
        states[0] = cat([embedded, embedded], -1).MoveToOuterDisposeScope();
        for (int l = 0; l < LayerCount; l++) states[l + 1] = cat([forward[l], backward[l].flip(1)], -1).MoveToOuterDisposeScope();
        return states;
    }

    /// <summary>
    /// The objective's logits and targets: every real position t predicts the real tokens t + d (left to right) and
    /// t − d (right to left) for d = 1 … D, each from features that never saw the predicted token.
    /// </summary>
    /// <param name="inputIds">Token ids, int64 [batch, seq].</param>
    /// <param name="attentionMask">1 for real tokens, 0 for padding; null means no padding.</param>
    public (Tensor Logits, Tensor Targets) Predict(Tensor inputIds, Tensor? attentionMask)
    {
        using var scope = NewDisposeScope();
        var mask = MaskOf(inputIds, attentionMask);
        var logits = new List<Tensor>();
        var targets = new List<Tensor>();
        foreach (var (ids, m) in new[] { (inputIds, mask), (inputIds.flip(1), mask.flip(1)) })
        {
            var (_, states, _) = Direction(ids, m);
            var top = states[^1].reshape(-1, Config.EmbeddingSize);
            for (int d = 1; d <= Config.PredictionSteps; d++)
            {
                var labels = TargetsAhead(ids, m, d).reshape(-1);
                var rows = labels.NotEqualTo(IgnoreLabel).nonzero().squeeze(1);
                logits.Add(decoder.Logits(top.index_select(0, rows), d));
                targets.Add(labels.index_select(0, rows));
            }
        }
        return (cat(logits, 0).MoveToOuterDisposeScope(), cat(targets, 0).MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Logits [batch, seq, vocab] of the token <paramref name="offset"/> steps ahead (right to left when
    /// <paramref name="backward"/>, in the original order) at every position, padding included — for inspection and tests.
    /// </summary>
    public Tensor LogitsAhead(Tensor inputIds, Tensor? attentionMask, int offset, bool backward = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(offset, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(offset, Config.PredictionSteps);
        using var scope = NewDisposeScope();
        var mask = MaskOf(inputIds, attentionMask);
        var (_, states, _) = backward ? Direction(inputIds.flip(1), mask.flip(1)) : Direction(inputIds, mask);
        var logits = decoder.Logits(states[^1], offset);
        return (backward ? logits.flip(1) : logits).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The graphs that transfer: for each layer the mean over heads of the left-to-right graph (row i over j ≤ i) and
    /// the right-to-left graph (row i over j ≥ i), averaged — [layers, batch, seq, seq], rows non-negative and summing to 1.
    /// </summary>
    public Tensor TransferGraphs(Tensor inputIds, Tensor? attentionMask)
    {
        using var scope = NewDisposeScope();
        var mask = MaskOf(inputIds, attentionMask);
        var embeddedForward = Embed(inputIds, mask);
        var forward = graph_predictor.Forward(embeddedForward, mask);
        var backward = graph_predictor.Forward(embeddedForward.flip(1), mask.flip(1));
        var layers = new Tensor[LayerCount];
        for (int l = 0; l < LayerCount; l++)
            layers[l] = forward[l].mean([1]).Plus(backward[l].flip(2, 3).mean([1])).Times(0.5);
        return stack(layers).MoveToOuterDisposeScope();
    }

    /// <summary>Targets [batch, seq]: the id d steps ahead where both positions are real tokens, <see cref="IgnoreLabel"/> elsewhere.</summary>
    public static Tensor TargetsAhead(Tensor inputIds, Tensor mask, int d)
    {
        using var scope = NewDisposeScope();
        long batch = inputIds.shape[0], seq = inputIds.shape[1];
        if (d >= seq) return Scalars.Full([batch, seq], IgnoreLabel, inputIds.device).MoveToOuterDisposeScope();
        var ahead = cat([inputIds.narrow(1, d, seq - d), Scalars.Full([batch, d], IgnoreLabel, inputIds.device)], 1);
        var realAhead = cat([mask.narrow(1, d, seq - d), zeros(batch, d, dtype: mask.dtype, device: mask.device)], 1);
        var valid = mask.mul(realAhead).GreaterThan(0.5);
        return ahead.FilledWhere(valid.logical_not(), IgnoreLabel).MoveToOuterDisposeScope();
    }

    /// <summary>One direction in its own order: the graphs, the features after each layer and the (dropped-out) embeddings.</summary>
    private (Tensor[] Graphs, Tensor[] States, Tensor Embedded) Direction(Tensor inputIds, Tensor mask)
    {
        var embedded = Embed(inputIds, mask);
        var graphs = graph_predictor.Forward(embedded, mask);
        var input = nn.functional.dropout(embedded, Config.Dropout, training);
        return (graphs, feature_predictor.States(input, graphs), embedded);
    }

    private Tensor Embed(Tensor inputIds, Tensor mask) => embeddings.call(inputIds).mul(mask.unsqueeze(-1));

    private static Tensor MaskOf(Tensor inputIds, Tensor? attentionMask) =>
        attentionMask is null ? ones(inputIds.shape, dtype: ScalarType.Float32, device: inputIds.device) : attentionMask.to(ScalarType.Float32);
}
