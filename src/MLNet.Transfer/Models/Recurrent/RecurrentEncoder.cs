using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transfer.Models.Recurrent;

/// <summary>
/// The encoder of a recurrent language model: word embeddings (with embedding dropout) and a stack of weight-dropped
/// LSTM layers with locked dropout on the embedding output and between layers — the AWD-LSTM of ULMFiT — or, for
/// <see cref="RecurrentConfig.BiLstmType"/>, a left-to-right and a right-to-left stack over the same embeddings (ELMo's
/// biLM: the directions never mix below the softmax). Keys: embedding.weight, forward_layers.N.*, backward_layers.N.*.
/// </summary>
public sealed class RecurrentEncoder : TextEncoder
{
#pragma warning disable IDE1006 // field names are the checkpoint keys
    private readonly Embedding embedding;
    private readonly ModuleList<WeightDropLstm> forward_layers;
    private readonly ModuleList<WeightDropLstm>? backward_layers;
#pragma warning restore IDE1006

    /// <summary>Creates a randomly initialised encoder (embeddings uniform ±0.1 as in fastai, the padding row zero).</summary>
    public RecurrentEncoder(RecurrentConfig config) : base(nameof(RecurrentEncoder))
    {
        Config = config.Validate();
        embedding = nn.Embedding(config.VocabSize, config.EmbeddingSize, padding_idx: config.PadTokenId);
        forward_layers = Stack(config);
        backward_layers = config.Bidirectional ? Stack(config) : null;
        RegisterComponents();
        using var _ = no_grad();
        using var weight = embedding.weight!;
        weight.uniform_(-0.1, 0.1);
        weight[config.PadTokenId].zero_();
    }

    private static ModuleList<WeightDropLstm> Stack(RecurrentConfig config) => nn.ModuleList(Enumerable.Range(0, config.NumHiddenLayers)
        .Select(l => new WeightDropLstm(l == 0 ? config.EmbeddingSize : config.LayerUnits(l - 1), config.LayerUnits(l), config.WeightDropout)).ToArray());

    /// <summary>The architecture this encoder was built from.</summary>
    public RecurrentConfig Config { get; }

    /// <inheritdoc/>
    public override string ModelType => Config.ModelType;

    /// <inheritdoc/>
    public override int LayerCount => Config.NumHiddenLayers;

    /// <summary>Embeddings: <see cref="RecurrentConfig.EmbeddingSize"/>; layer l: its units; both doubled (forward‖backward) when bidirectional.</summary>
    public override int LayerWidth(int layer)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(layer);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(layer, LayerCount);
        int width = layer == 0 ? Config.EmbeddingSize : Config.LayerUnits(layer - 1);
        return Config.Bidirectional ? 2 * width : width;
    }

    /// <inheritdoc/>
    public override int VocabSize => Config.VocabSize;

    /// <inheritdoc/>
    public override bool LowerCase => Config.DoLowerCase;

    /// <inheritdoc/>
    public override int MaxTokens => Config.MaxPositionEmbeddings;

    /// <inheritdoc/>
    public override Device Device
    {
        get
        {
            using var weight = embedding.weight!;
            return weight.device;
        }
    }

    /// <summary>The word-embedding matrix [vocab, embedding], which the language model's softmax reuses (tied).</summary>
    public Parameter EmbeddingWeight => embedding.weight!;

    /// <summary>The left-to-right LSTM layers, bottom first.</summary>
    public IList<WeightDropLstm> ForwardLayers => forward_layers;

    /// <summary>The right-to-left LSTM layers (bidirectional model), else null.</summary>
    public IList<WeightDropLstm>? BackwardLayers => backward_layers;

    /// <summary>
    /// Hidden states: the embeddings, then each layer's output — for the bidirectional model the embeddings twice and
    /// each layer's forward‖backward outputs (ELMo's layer representations), every one [batch, seq, <see cref="LayerWidth"/>].
    /// At a padded position the forward states are meaningless; pool with the attention mask.
    /// </summary>
    public override Tensor[] Forward(Tensor inputIds, Tensor tokenTypeIds, Tensor? attentionMask)
    {
        using var scope = NewDisposeScope();
        var run = Run(inputIds, attentionMask);
        var states = new Tensor[LayerCount + 1];
        states[0] = run.Backward is null ? run.Embedded : cat([run.Embedded, run.Embedded], -1);
        for (int l = 0; l < LayerCount; l++)
            states[l + 1] = run.Backward is null ? run.Forward[l] : cat([run.Forward[l], run.Backward[l]], -1);
        foreach (var state in states) state.MoveToOuterDisposeScope();
        return states;
    }

    /// <summary>The outputs of each direction's layers, bottom first, and the embedding output.</summary>
    /// <param name="Embedded">Embedding output [batch, seq, embedding] (after embedding dropout in training).</param>
    /// <param name="Forward">Left-to-right layer outputs; position t has seen tokens 0..t.</param>
    /// <param name="Backward">Right-to-left layer outputs in the original order (position t has seen t..end), or null.</param>
    public readonly record struct DirectionalStates(Tensor Embedded, Tensor[] Forward, Tensor[]? Backward);

    /// <summary>
    /// Runs both directions. The right-to-left stack reads each row reversed within its own length (padding stays
    /// at the end), so padding never reaches a real position in either direction.
    /// </summary>
    public DirectionalStates Run(Tensor inputIds, Tensor? attentionMask)
    {
        using var scope = NewDisposeScope();
        var embedded = RecurrentDropout.Embedding(embedding.call(inputIds), inputIds, Config.VocabSize, training ? Config.EmbeddingDropout : 0);
        var forward = Layers(forward_layers, embedded);
        Tensor[]? backward = null;
        if (backward_layers is not null)
        {
            var order = ReversalIndex(inputIds, attentionMask);
            var reversed = Layers(backward_layers, Reorder(embedded, order));
            backward = reversed.Select(r => Reorder(r, order)).ToArray();
        }
        embedded.MoveToOuterDisposeScope();
        foreach (var f in forward) f.MoveToOuterDisposeScope();
        if (backward is not null) foreach (var b in backward) b.MoveToOuterDisposeScope();
        return new DirectionalStates(embedded, forward, backward);
    }

    private Tensor[] Layers(ModuleList<WeightDropLstm> layers, Tensor embedded)
    {
        var outputs = new Tensor[layers.Count];
        var input = RecurrentDropout.Locked(embedded, training ? Config.InputDropout : 0);
        for (int l = 0; l < layers.Count; l++)
        {
            outputs[l] = layers[l].call(input);
            if (l + 1 < layers.Count) input = RecurrentDropout.Locked(outputs[l], training ? Config.HiddenDropout : 0);
        }
        return outputs;
    }

    /// <summary>Index [batch, seq] mapping each position to its mirror within the row's real length; padding maps to itself.</summary>
    private static Tensor ReversalIndex(Tensor inputIds, Tensor? attentionMask)
    {
        long steps = inputIds.shape[1];
        var positions = Scalars.Range(steps, inputIds.device).unsqueeze(0).expand(inputIds.shape[0], steps);
        var lengths = attentionMask is null
            ? Scalars.Full([inputIds.shape[0], 1], steps, inputIds.device)
            : attentionMask.to(ScalarType.Int64).sum(1, keepdim: true);
        return where(positions.lt(lengths), lengths.Minus(1).sub(positions), positions);
    }

    /// <summary>Gathers time steps of <paramref name="states"/> [batch, seq, width] by <paramref name="order"/> [batch, seq] (an involution here).</summary>
    private static Tensor Reorder(Tensor states, Tensor order) =>
        states.gather(1, order.unsqueeze(-1).expand(states.shape[0], states.shape[1], states.shape[2]));

    /// <summary>"embedding.*" → 0, "forward_layers.i.*" / "backward_layers.i.*" → i + 1.</summary>
    public override int LayerOf(string parameterName)
    {
        foreach (var prefix in (string[])["forward_layers.", "backward_layers."])
        {
            if (!parameterName.StartsWith(prefix, StringComparison.Ordinal)) continue;
            int end = parameterName.IndexOf('.', prefix.Length);
            return int.Parse(parameterName.AsSpan(prefix.Length, end - prefix.Length)) + 1;
        }
        return 0;
    }

    /// <inheritdoc/>
    public override string ToConfigJson() => Config.ToJson();
}
