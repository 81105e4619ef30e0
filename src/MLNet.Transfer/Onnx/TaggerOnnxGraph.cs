using MLNet.Transfer.Models.Tagging;

namespace MLNet.Transfer.Onnx;

/// <summary>
/// Emits the part of a <see cref="TaggingModel"/> (eval mode: no dropout) above the encoder as ONNX nodes, in the order of
/// <see cref="TaggingModel.Emissions(TorchSharp.torch.Tensor, TorchSharp.torch.Tensor, TorchSharp.torch.Tensor, TorchSharp.torch.Tensor, TorchSharp.torch.Tensor?)"/>:
/// the top layer or (features route) the scalar mix softmax(w)·layers·γ, each word's first-piece state (GatherND), the
/// casing vectors, the BiLSTM, and the linear layer giving one score per tag. Weights keep their state-dict names under a
/// prefix (matrices stored [in, out]); they come from a state dict or a weight file (<see cref="ExportWeights"/>), so a
/// tagger whose weights are still in their file exports without LibTorch.
/// </summary>
internal sealed class TaggerOnnxGraph
{
    private readonly OnnxGraphBuilder _g;
    private readonly TaggerSpec _spec;
    private readonly ExportWeights _weights;
    private readonly string _prefix;

    /// <param name="graph">Where nodes go.</param>
    /// <param name="spec">The tagger's spec (which parts exist).</param>
    /// <param name="weights">Weights holding the head's state dict (classifier.*, crf.*, casing.*, scalar_mix.*, bilstm.*) under <paramref name="prefix"/>.</param>
    /// <param name="prefix">"" for a token classifier, "taggers.&lt;task&gt;." for a tagging task of a multi-task model.</param>
    public TaggerOnnxGraph(OnnxGraphBuilder graph, TaggerSpec spec, ExportWeights weights, string prefix = "")
    {
        _g = graph;
        _spec = spec;
        _weights = weights;
        _prefix = prefix;
    }

    /// <summary>
    /// Tag scores [batch, words, tags] from the encoder's hidden states <paramref name="states"/> (embeddings first), the
    /// first-piece positions <paramref name="wordPositions"/> (int64 [batch, words], 0 = padding) and, with casing features,
    /// the word shapes <paramref name="wordShapes"/> (int64 [batch, words]).
    /// </summary>
    public string Emissions(IReadOnlyList<string> states, string wordPositions, string? wordShapes)
    {
        string hidden = _spec.FeaturesOnly ? ScalarMix(states) : states[^1];
        string index = _g.Op("Unsqueeze", wordPositions, _g.Int64Constant("last_axis", [-1]));                     // [batch, words, 1]
        string words = _g.Op("GatherND", [hidden, index], OnnxProto.IntAttribute("batch_dims", 1));                 // [batch, words, hidden]
        if (_spec.CasingFeatures)
        {
            string shapes = wordShapes ?? throw new ArgumentNullException(nameof(wordShapes), "This tagger uses casing features: the graph needs word shapes.");
            words = _g.Op("Concat", [words, _g.Op("Gather", Weight("casing.weight"), shapes)], OnnxProto.IntAttribute("axis", 2));
        }
        if (_spec.BiLstmHidden > 0)
        {
            // Row lengths as TorchSharp counts them: positions > 0 (padding points at [CLS], position 0).
            string real = _g.Op("Cast", [_g.Op("Greater", wordPositions, _g.Int64Constant("zero", [0], scalar: true))], OnnxProto.IntAttribute("to", OnnxProto.Int32));
            string lengths = _g.Op("ReduceSum", [real, _g.Int64Constant("word_axis", [1])], OnnxProto.IntAttribute("keepdims", 0));
            words = new WordBiLstmOnnxGraph(_g, _weights, _prefix + "bilstm.").Emit(words, lengths);
        }
        string key = Name("classifier.weight");
        var shape = _weights.Shape(key);
        int outputs = (int)shape[0], inputs = (int)shape[1];
        string weight = _g.Float32Weight(key, [inputs, outputs], s => s.Write(ExportWeights.Transpose(_weights.Float32(key).Bytes, outputs, inputs)));
        return _g.Op("Add", _g.Op("MatMul", words, weight), Weight("classifier.bias"));
    }

    /// <summary>γ · Σ_k softmax(w)_k · h_k, summed in the order <see cref="Models.ScalarMix"/> sums.</summary>
    private string ScalarMix(IReadOnlyList<string> states)
    {
        string mix = _g.Op("Softmax", [Weight("scalar_mix.scalar_parameters")], OnnxProto.IntAttribute("axis", 0));
        string Weighted(int k) => _g.Op("Mul", states[k], _g.Op("Gather", mix, _g.Int64Constant("layer", [k], scalar: true)));
        string mixed = Weighted(0);
        for (int k = 1; k < states.Count; k++) mixed = _g.Op("Add", mixed, Weighted(k));
        return _g.Op("Mul", mixed, Weight("scalar_mix.gamma"));
    }

    /// <summary>An initializer holding weight <paramref name="key"/> (under the prefix) as it is.</summary>
    public string Weight(string key)
    {
        string name = Name(key);
        return _g.Float32Weight(name, _weights);
    }

    private string Name(string key) => _weights.Contains(_prefix + key)
        ? _prefix + key
        : throw new InvalidOperationException($"The tagger has no weight '{_prefix + key}' to export.");
}
