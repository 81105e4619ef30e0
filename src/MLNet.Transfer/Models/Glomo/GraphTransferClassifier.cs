using MLNet.Transfer.Models.Tagging;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transfer.Models.Glomo;

/// <summary>
/// The small downstream model of the GLoMo-style (reduced) transfer: frozen static word-piece embeddings (another
/// model's features, e.g. MiniLM's embedding table), optionally reweighted by transferred graphs through a
/// <see cref="GraphMixing"/> ("mixing"), then a <see cref="WordBiLstm"/> ("lstm"), max pooling over real tokens and a
/// linear classifier ("output"). Without graphs it is the same model minus the mixing.
/// </summary>
public sealed class GraphTransferClassifier : nn.Module
{
#pragma warning disable IDE1006 // field names are the checkpoint keys
    private readonly GraphMixing? mixing;
    private readonly WordBiLstm lstm;
    private readonly Linear output;
#pragma warning restore IDE1006
    private readonly Tensor _embeddings;

    /// <summary>Creates the classifier.</summary>
    /// <param name="staticEmbeddings">Frozen token features [vocab, width] (copied; never trained).</param>
    /// <param name="graphLayers">Graph layers to mix, or 0 for the model without graphs.</param>
    /// <param name="hiddenSize">Units of each LSTM direction.</param>
    /// <param name="classes">Number of classes.</param>
    public GraphTransferClassifier(Tensor staticEmbeddings, int graphLayers, int hiddenSize, int classes) : base(nameof(GraphTransferClassifier))
    {
        ArgumentNullException.ThrowIfNull(staticEmbeddings);
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 2);
        int width = (int)staticEmbeddings.shape[1];
        _embeddings = staticEmbeddings.detach().clone();
        mixing = graphLayers > 0 ? new GraphMixing(graphLayers, width) : null;
        lstm = new WordBiLstm(width, hiddenSize);
        output = nn.Linear(lstm.OutputSize, classes);
        RegisterComponents();
    }

    /// <summary>The frozen token features [vocab, width] (not a parameter: never trained, not in the state dict).</summary>
    public Tensor TokenFeatures => _embeddings;

    /// <summary>Whether graphs are applied.</summary>
    public bool UsesGraphs => mixing is not null;

    /// <summary>Class logits [batch, classes].</summary>
    /// <param name="inputIds">Token ids [batch, seq] (right-padded).</param>
    /// <param name="attentionMask">1 for real tokens, 0 for padding [batch, seq].</param>
    /// <param name="graphs">Transfer graphs [layers, batch, seq, seq] when <see cref="UsesGraphs"/>; ignored otherwise.</param>
    public Tensor Logits(Tensor inputIds, Tensor attentionMask, Tensor? graphs)
    {
        using var scope = NewDisposeScope();
        var features = _embeddings.index_select(0, inputIds.reshape(-1)).reshape(inputIds.shape[0], inputIds.shape[1], -1);
        if (mixing is not null)
            features = mixing.call(features, graphs ?? throw new ArgumentNullException(nameof(graphs), "This classifier applies graphs: pass them."));
        var lengths = attentionMask.sum([1L]).to(ScalarType.Int64);
        var states = lstm.call(features, lengths);
        var pooled = states.FilledWhere(attentionMask.EqualTo(0).unsqueeze(-1), double.NegativeInfinity).amax([1]);
        return output.call(pooled).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing) _embeddings.Dispose();
        base.Dispose(disposing);
    }
}
