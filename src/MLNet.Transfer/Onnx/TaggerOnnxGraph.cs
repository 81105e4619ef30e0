using MLNet.Transfer.Models.Tagging;
using static TorchSharp.torch;

namespace MLNet.Transfer.Onnx;

/// <summary>
/// Emits the part of a <see cref="TaggingModel"/> (eval mode: no dropout) above the encoder as ONNX nodes, in the order of
/// <see cref="TaggingModel.Emissions(Tensor, Tensor, Tensor, Tensor, Tensor?)"/>: the top layer or (features route) the
/// scalar mix softmax(w)·layers·γ, each word's first-piece state (GatherND), the casing vectors, the BiLSTM, and the linear
/// layer giving one score per tag. Weights keep their state-dict names (matrices stored [in, out]).
/// </summary>
internal sealed class TaggerOnnxGraph
{
    private readonly OnnxGraphBuilder _g;
    private readonly TaggingModel _model;
    private readonly IReadOnlyDictionary<string, Tensor> _weights;

    /// <param name="graph">Where nodes go.</param>
    /// <param name="model">The tagger (its <see cref="TaggingModel.Spec"/> says which parts exist).</param>
    /// <param name="weights">The tagger's state dict.</param>
    public TaggerOnnxGraph(OnnxGraphBuilder graph, TaggingModel model, IReadOnlyDictionary<string, Tensor> weights)
    {
        _g = graph;
        _model = model;
        _weights = weights;
    }

    /// <summary>
    /// Tag scores [batch, words, tags] from the encoder's hidden states <paramref name="states"/> (embeddings first), the
    /// first-piece positions <paramref name="wordPositions"/> (int64 [batch, words], 0 = padding) and, with casing features,
    /// the word shapes <paramref name="wordShapes"/> (int64 [batch, words]).
    /// </summary>
    public string Emissions(IReadOnlyList<string> states, string wordPositions, string? wordShapes)
    {
        var spec = _model.Spec;
        string hidden = spec.FeaturesOnly ? ScalarMix(states) : states[^1];
        string index = _g.Op("Unsqueeze", wordPositions, _g.Int64Constant("last_axis", [-1]));                     // [batch, words, 1]
        string words = _g.Op("GatherND", [hidden, index], OnnxProto.IntAttribute("batch_dims", 1));                 // [batch, words, hidden]
        if (spec.CasingFeatures)
        {
            string shapes = wordShapes ?? throw new ArgumentNullException(nameof(wordShapes), "This tagger uses casing features: the graph needs word shapes.");
            words = _g.Op("Concat", [words, _g.Op("Gather", Weight("casing.weight"), shapes)], OnnxProto.IntAttribute("axis", 2));
        }
        if (spec.BiLstmHidden > 0)
        {
            // Row lengths as TorchSharp counts them: positions > 0 (padding points at [CLS], position 0).
            string real = _g.Op("Cast", [_g.Op("Greater", wordPositions, _g.Int64Constant("zero", [0], scalar: true))], OnnxProto.IntAttribute("to", OnnxProto.Int32));
            string lengths = _g.Op("ReduceSum", [real, _g.Int64Constant("word_axis", [1])], OnnxProto.IntAttribute("keepdims", 0));
            words = new WordBiLstmOnnxGraph(_g, _weights, "bilstm.").Emit(words, lengths);
        }
        using var transposed = Find("classifier.weight").t();
        return _g.Op("Add", _g.Op("MatMul", words, _g.Weight("classifier.weight", transposed)), Weight("classifier.bias"));
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

    private string Weight(string key) => _g.Weight(key, Find(key));

    private Tensor Find(string key) => _weights.TryGetValue(key, out var tensor)
        ? tensor
        : throw new InvalidOperationException($"The tagger has no weight '{key}' to export.");
}
