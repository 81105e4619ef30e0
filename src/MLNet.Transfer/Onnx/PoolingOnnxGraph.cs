using MLNet.Transfer.Models;

namespace MLNet.Transfer.Onnx;

/// <summary>
/// Which hidden states become the sentence vector and how: pool each selected layer, then average them, concatenate
/// them, or sum them with fixed weights; optionally scale to unit L2 norm.
/// </summary>
/// <param name="Layers">Hidden-state indices (0 = embeddings, N = last block).</param>
/// <param name="Pooling">Token pooling.</param>
/// <param name="Concatenate">Concatenate the pooled layers instead of averaging them.</param>
/// <param name="LayerWeights">When set (and not concatenating), the pooled layers are summed with these weights.</param>
/// <param name="Normalize">Scale the result to unit L2 norm.</param>
internal sealed record SentencePooling(IReadOnlyList<int> Layers, PoolingMode Pooling, bool Concatenate = false,
                                       IReadOnlyList<float>? LayerWeights = null, bool Normalize = false);

/// <summary>
/// Emits <see cref="Pooling"/> over padded token states as ONNX nodes, with the same arithmetic as the TorchSharp code
/// (mean: masked sum / max(token count, 1e-9); max: padding filled with float.MinValue; CLS: position 0), and the
/// layer combination and normalisation of <see cref="SentencePooling"/>.
/// </summary>
internal sealed class PoolingOnnxGraph
{
    private readonly OnnxGraphBuilder _g;
    private readonly string _attentionMask;
    private string? _weights, _tokenCount, _padding;

    /// <summary>Pools with <paramref name="attentionMask"/>, int64 [batch, sequence] (1 = token, 0 = padding).</summary>
    public PoolingOnnxGraph(OnnxGraphBuilder graph, string attentionMask)
    {
        _g = graph;
        _attentionMask = attentionMask;
    }

    /// <summary>[batch, width] vectors from the hidden states <paramref name="states"/> as <paramref name="spec"/> says.</summary>
    public string Sentence(IReadOnlyList<string> states, SentencePooling spec)
    {
        var pooled = spec.Layers.Select(l => Pool(states[l], spec.Pooling)).ToArray();
        string combined;
        if (pooled.Length == 1 && spec.LayerWeights is null) combined = pooled[0];
        else if (spec.Concatenate) combined = _g.Op("Concat", pooled, OnnxProto.IntAttribute("axis", -1));
        else if (spec.LayerWeights is { } weights)
            combined = pooled.Select((p, i) => _g.Op("Mul", p, _g.Scalar("layer_weight", weights[i]))).Aggregate((a, b) => _g.Op("Add", a, b));
        else combined = _g.Op("Mean", pooled);
        return spec.Normalize ? L2Normalize(combined) : combined;
    }

    /// <summary>[batch, width] pooled vectors of one layer's [batch, sequence, hidden] states.</summary>
    public string Pool(string states, PoolingMode mode) => mode switch
    {
        PoolingMode.Cls => _g.Op("Gather", [states, _g.Int64Constant("first_token", [0], scalar: true)], OnnxProto.IntAttribute("axis", 1)),
        PoolingMode.Mean => Mean(states),
        PoolingMode.Max => Max(states),
        PoolingMode.MeanMax => _g.Op("Concat", [Mean(states), Max(states)], OnnxProto.IntAttribute("axis", 1)),
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown pooling mode."),
    };

    private string Mean(string states)
    {
        if (_weights is null)
        {
            string mask = _g.Op("Cast", [_attentionMask], OnnxProto.IntAttribute("to", OnnxProto.Float));
            _weights = _g.Op("Unsqueeze", mask, _g.Int64Constant("last_axis", [-1]));                       // [batch, sequence, 1]
            _tokenCount = _g.Op("Max", Sum(_weights), _g.Scalar("min_token_count", 1e-9f));                // [batch, 1]
        }
        return _g.Op("Div", Sum(_g.Op("Mul", states, _weights)), _tokenCount!);
    }

    private string Max(string states)
    {
        _padding ??= _g.Op("Unsqueeze", _g.Op("Equal", _attentionMask, _g.Int64Constant("zero", [0], scalar: true)), _g.Int64Constant("last_axis", [-1]));
        string filled = _g.Op("Where", _padding, _g.Scalar("float_min", float.MinValue), states);
        return _g.Op("ReduceMax", [filled], OnnxProto.IntsAttribute("axes", [1]), OnnxProto.IntAttribute("keepdims", 0));
    }

    private string Sum(string x) => _g.Op("ReduceSum", [x, _g.Int64Constant("sequence_axis", [1])], OnnxProto.IntAttribute("keepdims", 0));

    /// <summary>x / max(‖x‖₂, 1e-12) per row.</summary>
    private string L2Normalize(string x)
    {
        string norm = _g.Op("ReduceL2", [x], OnnxProto.IntsAttribute("axes", [1]), OnnxProto.IntAttribute("keepdims", 1));
        return _g.Op("Div", x, _g.Op("Max", norm, _g.Scalar("min_norm", 1e-12f)));
    }
}
