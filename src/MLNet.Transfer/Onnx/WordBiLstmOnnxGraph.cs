using System.Runtime.InteropServices;
using MLNet.Transfer.Models.Tagging;

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
    private static readonly string[] Directions = ["forward_lstm.", "backward_lstm."];
    private readonly OnnxGraphBuilder _g;
    private readonly ExportWeights _weights;
    private readonly string _prefix;

    /// <param name="graph">Where nodes go.</param>
    /// <param name="weights">Weights holding "forward_lstm.*" and "backward_lstm.*" under <paramref name="prefix"/> (a state dict or a weight file).</param>
    /// <param name="prefix">The module's key prefix with the dot, e.g. "bilstm.".</param>
    public WordBiLstmOnnxGraph(OnnxGraphBuilder graph, ExportWeights weights, string prefix)
    {
        _g = graph;
        _weights = weights;
        _prefix = prefix;
    }

    /// <summary>States [batch, words, 2·hidden] of <paramref name="words"/> [batch, words, input] whose rows hold <paramref name="lengths"/> (int32 [batch]) real words.</summary>
    public string Emit(string words, string lengths)
    {
        long hidden = Shape("forward_lstm.weight_hh_l0")[1];
        string w = Stacked("weight_ih_l0", "W");
        string r = Stacked("weight_hh_l0", "R");
        // [2, 8·hidden]: Wb then Rb per direction.
        var biases = Directions.SelectMany(d => OnnxGateOrder(Floats(d + "bias_ih_l0")).Concat(OnnxGateOrder(Floats(d + "bias_hh_l0")))).ToArray();
        string b = _g.FloatWeight(_prefix + "B", biases, [2, 8 * hidden]);
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
        var shape = Shape(Directions[0] + name);
        var values = Directions.SelectMany(d => OnnxGateOrder(Floats(d + name))).ToArray();
        return _g.FloatWeight(_prefix + onnxName, values, [2, shape[0], shape[1]]);
    }

    /// <summary>PyTorch's gate blocks (i, f, g, o) of a row-major [4·hidden, ...] weight (whole rows per gate) reordered to ONNX's (i, o, f, c).</summary>
    private static float[] OnnxGateOrder(float[] values)
    {
        int block = values.Length / 4;
        var result = new float[values.Length];
        int[] order = [0, 3, 1, 2];
        for (int k = 0; k < 4; k++) Array.Copy(values, order[k] * block, result, k * block, block);
        return result;
    }

    private float[] Floats(string key) => MemoryMarshal.Cast<byte, float>(_weights.Float32(Name(key)).Bytes.AsSpan()).ToArray();

    private long[] Shape(string key) => _weights.Shape(Name(key));

    private string Name(string key) => _weights.Contains(_prefix + key)
        ? _prefix + key
        : throw new InvalidOperationException($"The tagger has no weight '{_prefix + key}' to export.");
}
