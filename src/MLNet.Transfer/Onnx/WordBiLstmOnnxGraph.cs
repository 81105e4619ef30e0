using MLNet.Transfer.Models.Tagging;
using static TorchSharp.torch;

namespace MLNet.Transfer.Onnx;

/// <summary>
/// Emits a <see cref="WordBiLstm"/> as one bidirectional ONNX LSTM node with per-row lengths (<c>sequence_lens</c>): ONNX's
/// reverse direction starts at each row's last real word, which is exactly what the TorchSharp module does by reversing
/// each row within its length. The two LSTMs' weights are stacked [forward, backward] and their gates reordered from
/// PyTorch's (input, forget, cell, output) to ONNX's (input, output, forget, cell). Padding positions come out as zeros
/// (TorchSharp leaves the forward LSTM's states there); nothing reads them.
/// </summary>
internal sealed class WordBiLstmOnnxGraph
{
    private readonly OnnxGraphBuilder _g;
    private readonly IReadOnlyDictionary<string, Tensor> _weights;
    private readonly string _prefix;

    /// <param name="graph">Where nodes go.</param>
    /// <param name="weights">A state dict holding "forward_lstm.*" and "backward_lstm.*" under <paramref name="prefix"/>.</param>
    /// <param name="prefix">The module's key prefix with the dot, e.g. "bilstm.".</param>
    public WordBiLstmOnnxGraph(OnnxGraphBuilder graph, IReadOnlyDictionary<string, Tensor> weights, string prefix)
    {
        _g = graph;
        _weights = weights;
        _prefix = prefix;
    }

    /// <summary>States [batch, words, 2·hidden] of <paramref name="words"/> [batch, words, input] whose rows hold <paramref name="lengths"/> (int32 [batch]) real words.</summary>
    public string Emit(string words, string lengths)
    {
        long hidden = Find("forward_lstm.weight_hh_l0").shape[1];
        string w = Stacked("weight_ih_l0", "W");
        string r = Stacked("weight_hh_l0", "R");
        string b;
        using (var scope = NewDisposeScope())
        {
            var biases = new[] { "forward_lstm.", "backward_lstm." }
                .Select(d => cat([OnnxGateOrder(Find(d + "bias_ih_l0")), OnnxGateOrder(Find(d + "bias_hh_l0"))], 0))
                .ToArray();
            b = _g.Weight(_prefix + "B", stack(biases, 0)); // [2, 8·hidden]: Wb then Rb per direction
        }
        string timeMajor = _g.Op("Transpose", [words], OnnxProto.IntsAttribute("perm", [1, 0, 2]));
        string states = _g.Op("LSTM", [timeMajor, w, r, b, lengths],
                              OnnxProto.IntAttribute("hidden_size", hidden), OnnxProto.StringAttribute("direction", "bidirectional"));
        // Y is [words, 2, batch, hidden] → [batch, words, 2, hidden] → [batch, words, forward ‖ backward].
        string batchMajor = _g.Op("Transpose", [states], OnnxProto.IntsAttribute("perm", [2, 0, 1, 3]));
        return _g.Op("Reshape", batchMajor, _g.Int64Constant("bilstm_shape", [0, 0, 2 * hidden]));
    }

    /// <summary>The forward and backward LSTMs' <paramref name="name"/> matrices in ONNX gate order, stacked as [2, 4·hidden, in].</summary>
    private string Stacked(string name, string onnxName)
    {
        using var scope = NewDisposeScope();
        var matrices = new[] { "forward_lstm.", "backward_lstm." }.Select(d => OnnxGateOrder(Find(d + name))).ToArray();
        return _g.Weight(_prefix + onnxName, stack(matrices, 0));
    }

    /// <summary>PyTorch's gate blocks (i, f, g, o) along dimension 0 reordered to ONNX's (i, o, f, c).</summary>
    private static Tensor OnnxGateOrder(Tensor t)
    {
        var gates = t.detach().chunk(4, 0);
        return cat([gates[0], gates[3], gates[1], gates[2]], 0);
    }

    private Tensor Find(string key) => _weights.TryGetValue(_prefix + key, out var tensor)
        ? tensor
        : throw new InvalidOperationException($"The tagger has no weight '{_prefix + key}' to export.");
}
