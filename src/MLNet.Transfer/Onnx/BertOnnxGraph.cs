using MLNet.Transfer.Checkpoints;
using MLNet.Transfer.Onnx;
using MLNet.Transfer.Checkpoints.OnnxImport;
using System.Runtime.InteropServices;
using MLNet.Transfer.Models;
using static TorchSharp.torch;

namespace MLNet.Transfer.Onnx;

/// <summary>
/// Emits a BERT encoder (<see cref="Models.Bert.BertModel"/>, eval mode: no dropout) as ONNX opset-17 nodes: embeddings
/// (word + position + token type, LayerNorm), then per block self-attention with an additive padding mask, residual
/// LayerNorm, feed-forward with GELU (erf or tanh form, written out so ONNX Runtime fuses it) or ReLU, residual LayerNorm.
/// Linear weights are stored [in, out] under their state-dict names and applied with MatMul + Add, as the
/// Hugging Face exporter does (so <see cref="OnnxBertImporter"/> reads them back). With int8 weights (the inference
/// engine's <see cref="InferenceEngine.OnnxRuntimeInt8"/>) each linear layer is instead ONNX Runtime's DynamicQuantizeMatMul
/// over the weight quantized per output column (<see cref="Int8WeightQuantizer"/>), its input quantized at run time.
/// </summary>
/// <remarks>
/// Why plain operators for fp32 (see docs/performance.md): ONNX Runtime (1.32, CPU) fuses this graph exactly as far as it
/// fuses the published all-MiniLM-L6-v2 model.onnx (LayerNormalization, BiasGelu, scaled MatMul; both optimised graphs
/// have the same node kinds and counts) and runs both in the same CPU time; emitting its contrib operators directly
/// (Attention over packed query/key/value weights, SkipLayerNormalization) or Gemm on 2-D states was measured slower.
/// </remarks>
internal sealed class BertOnnxGraph
{
    private readonly OnnxGraphBuilder _g;
    private readonly BertConfig _config;
    private readonly ExportWeights _weights;
    private readonly string _prefix;
    private readonly bool _int8Weights;
    private string? _headsShape, _hiddenShape, _scale;

    /// <param name="graph">Where nodes go.</param>
    /// <param name="config">The encoder's architecture.</param>
    /// <param name="weights">A state dict holding the encoder's weights under <paramref name="prefix"/> + Hugging Face BertModel keys.</param>
    /// <param name="prefix">"" for a bare encoder, "bert." inside a task model.</param>
    /// <param name="int8Weights">Emit the linear layers as DynamicQuantizeMatMul over int8 weights (ONNX Runtime only).</param>
    public BertOnnxGraph(OnnxGraphBuilder graph, BertConfig config, IReadOnlyDictionary<string, Tensor> weights, string prefix, bool int8Weights = false)
        : this(graph, config, ExportWeights.Of(weights), prefix, int8Weights)
    {
    }

    /// <summary>An emitter reading the weights from <paramref name="weights"/> (a state dict or a safetensors file); see the other constructor.</summary>
    public BertOnnxGraph(OnnxGraphBuilder graph, BertConfig config, ExportWeights weights, string prefix, bool int8Weights = false)
    {
        _g = graph;
        _config = config;
        _weights = weights;
        _prefix = prefix;
        _int8Weights = int8Weights;
    }

    /// <summary>
    /// Adds the encoder over int64 [batch, sequence] inputs and returns the names of its
    /// <see cref="BertConfig.NumHiddenLayers"/> + 1 hidden states [batch, sequence, hidden], embedding output first.
    /// </summary>
    public string[] Emit(string inputIds, string tokenTypeIds, string attentionMask)
    {
        if (_config.IsDecoder == true)
            throw new NotSupportedException("Decoder (causal) encoders cannot be exported to ONNX yet; only bidirectional BERT encoders can.");
        var states = new string[_config.NumHiddenLayers + 1];
        states[0] = Embeddings(inputIds, tokenTypeIds);
        string mask = AdditiveMask(attentionMask);
        for (int i = 0; i < _config.NumHiddenLayers; i++)
            states[i + 1] = Layer(BertWeightNames.LayerPrefix(i), states[i], mask);
        return states;
    }

    private string Embeddings(string inputIds, string tokenTypeIds)
    {
        string words = _g.Op("Gather", Weight(BertWeightNames.WordEmbeddings), inputIds);
        string length = _g.Op("Shape", [inputIds], OnnxProto.IntAttribute("start", 1), OnnxProto.IntAttribute("end", 2));
        string positions = _g.Op("Slice", Weight(BertWeightNames.PositionEmbeddings), _g.Int64Constant("zero", [0]), length, _g.Int64Constant("axis", [0]));
        string types = _g.Op("Gather", Weight(BertWeightNames.TokenTypeEmbeddings), tokenTypeIds);
        string sum = _g.Op("Add", _g.Op("Add", words, positions), types);
        return LayerNorm(sum, "embeddings.LayerNorm");
    }

    /// <summary>(1 − mask) · float.MinValue as [batch, 1, 1, sequence]: what the TorchSharp encoder adds to attention scores.</summary>
    private string AdditiveMask(string attentionMask)
    {
        string mask = _g.Op("Cast", [attentionMask], OnnxProto.IntAttribute("to", OnnxProto.Float));
        string padding = _g.Op("Sub", _g.Scalar("one", 1f), mask);
        string additive = _g.Op("Mul", padding, _g.Scalar("float_min", float.MinValue));
        return _g.Op("Unsqueeze", additive, _g.Int64Constant("axes", [1, 2]));
    }

    private string Layer(string prefix, string hidden, string mask)
    {
        string attended = LayerNorm(_g.Op("Add", Linear(SelfAttention(prefix + "attention.self.", hidden, mask), prefix + "attention.output.dense"), hidden),
                                    prefix + "attention.output.LayerNorm");
        string intermediate = Activation(Linear(attended, prefix + "intermediate.dense"));
        return LayerNorm(_g.Op("Add", Linear(intermediate, prefix + "output.dense"), attended), prefix + "output.LayerNorm");
    }

    private string SelfAttention(string prefix, string hidden, string mask)
    {
        _headsShape ??= _g.Int64Constant("heads_shape", [0, 0, _config.NumAttentionHeads, _config.HeadSize]);
        _hiddenShape ??= _g.Int64Constant("hidden_shape", [0, 0, _config.HiddenSize]);
        _scale ??= _g.Scalar("attention_scale", (float)(1 / Math.Sqrt(_config.HeadSize)));
        string Heads(string name, long[] perm) =>
            _g.Op("Transpose", [_g.Op("Reshape", Linear(hidden, prefix + name), _headsShape)], OnnxProto.IntsAttribute("perm", perm));
        string query = Heads("query", [0, 2, 1, 3]);   // [batch, heads, sequence, head size]
        string key = Heads("key", [0, 2, 3, 1]);       // [batch, heads, head size, sequence]
        string value = Heads("value", [0, 2, 1, 3]);
        string scores = _g.Op("Add", _g.Op("Mul", _g.Op("MatMul", query, key), _scale), mask);
        string probabilities = _g.Op("Softmax", [scores], OnnxProto.IntAttribute("axis", -1));
        string context = _g.Op("Transpose", [_g.Op("MatMul", probabilities, value)], OnnxProto.IntsAttribute("perm", [0, 2, 1, 3]));
        return _g.Op("Reshape", context, _hiddenShape);
    }

    private string Activation(string x) => _config.HiddenAct switch
    {
        "relu" => _g.Op("Relu", x),
        "gelu_new" or "gelu_pytorch_tanh" => TanhGelu(x),
        _ => ErfGelu(x),
    };

    /// <summary>x · 0.5 · (1 + erf(x / √2)), in the node order ONNX Runtime's Gelu fusion recognises.</summary>
    private string ErfGelu(string x)
    {
        string erf = _g.Op("Erf", _g.Op("Div", x, _g.Scalar("sqrt2", MathF.Sqrt(2))));
        return _g.Op("Mul", _g.Op("Mul", x, _g.Op("Add", erf, _g.Scalar("one", 1f))), _g.Scalar("half", 0.5f));
    }

    /// <summary>0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 · x³))).</summary>
    private string TanhGelu(string x)
    {
        string cube = _g.Op("Mul", _g.Op("Mul", x, x), x);
        string inner = _g.Op("Add", x, _g.Op("Mul", cube, _g.Scalar("gelu_coefficient", 0.044715f)));
        string tanh = _g.Op("Tanh", _g.Op("Mul", inner, _g.Scalar("sqrt_2_over_pi", (float)Math.Sqrt(2 / Math.PI))));
        return _g.Op("Mul", _g.Op("Mul", x, _g.Op("Add", tanh, _g.Scalar("one", 1f))), _g.Scalar("half", 0.5f));
    }

    /// <summary>
    /// x · Wᵀ + b for the nn.Linear <paramref name="module"/>; Wᵀ is stored [in, out] under the weight's name, or as int8
    /// values [in, out] and per-column scales [out] (suffixes ".int8" and ".scale") for DynamicQuantizeMatMul.
    /// </summary>
    private string Linear(string x, string module)
    {
        string key = Name(module + ".weight");
        var shape = _weights.Shape(key);
        int outputs = (int)shape[0], inputs = (int)shape[1];
        if (!_int8Weights)
        {
            string weight = _g.Float32Weight(_prefix + module + ".weight", [inputs, outputs],
                                             s => s.Write(ExportWeights.Transpose(_weights.Float32(key).Bytes, outputs, inputs)));
            return _g.Op("Add", _g.Op("MatMul", x, weight), Weight(module + ".bias"));
        }
        var transposed = ExportWeights.Transpose(_weights.Float32(key).Bytes, outputs, inputs);
        var quantized = Int8WeightQuantizer.Quantize(MemoryMarshal.Cast<byte, float>(transposed.AsSpan()), inputs, outputs, Int8WeightQuantizer.ReducedRange);
        string values = _g.Int8Weight(_prefix + module + ".weight.int8", quantized.Values, [quantized.Rows, quantized.Columns]);
        string scales = _g.FloatWeight(_prefix + module + ".weight.scale", quantized.Scales, [quantized.Columns]);
        return _g.ContribOp("DynamicQuantizeMatMul", [x, values, scales, "", Weight(module + ".bias")]);
    }

    private string LayerNorm(string x, string module) =>
        _g.Op("LayerNormalization", [x, Weight(module + ".weight"), Weight(module + ".bias")],
              OnnxProto.IntAttribute("axis", -1), OnnxProto.FloatAttribute("epsilon", (float)_config.LayerNormEps));

    private string Weight(string key)
    {
        string name = Name(key);
        return _g.Float32Weight(name, _weights);
    }

    /// <summary>The full name of weight <paramref name="key"/>, checked to exist.</summary>
    private string Name(string key) => _weights.Contains(_prefix + key)
        ? _prefix + key
        : throw new InvalidOperationException($"The encoder has no weight '{_prefix + key}' to export.");
}
