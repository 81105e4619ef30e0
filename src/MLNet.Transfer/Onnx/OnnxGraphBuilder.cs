using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace MLNet.Transfer.Onnx;

/// <summary>
/// Collects the nodes, initializers, inputs and outputs of one ONNX graph. Every node gets a unique name and a
/// unique output name derived from a readable hint, so emitters only pass values (names) around. Weights are copied
/// once, as float32 little-endian bytes, when they are added.
/// </summary>
internal sealed class OnnxGraphBuilder
{
    /// <summary>A protobuf message may not exceed 2 GiB; larger models would need ONNX external data.</summary>
    private const long MaxModelBytes = int.MaxValue;

    private readonly List<ProtoMessage> _nodes = [];
    private readonly List<ProtoMessage> _initializers = [];
    private readonly List<ProtoMessage> _inputs = [];
    private readonly List<ProtoMessage> _outputs = [];
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _counters = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _constants = new(StringComparer.Ordinal);
    private readonly string _namePrefix;
    private long _weightBytes;

    /// <summary>A builder for a main graph, or (with <paramref name="namePrefix"/>) for a subgraph whose generated names must not clash with its parent's.</summary>
    public OnnxGraphBuilder(string namePrefix = "") => _namePrefix = namePrefix;

    /// <summary>Declares a graph input; returns its name.</summary>
    public string Input(string name, int elementType, params OnnxProto.Dim[] dims)
    {
        Reserve(name);
        _inputs.Add(OnnxProto.ValueInfo(name, elementType, dims));
        return name;
    }

    /// <summary>Exposes <paramref name="value"/> as graph output <paramref name="name"/> (through an Identity node when the names differ).</summary>
    public void Output(string value, string name, int elementType, params OnnxProto.Dim[] dims)
    {
        if (value != name)
        {
            Reserve(name);
            _nodes.Add(OnnxProto.Node("Identity", UniqueName("Identity"), [value], [name], []));
        }
        _outputs.Add(OnnxProto.ValueInfo(name, elementType, dims));
    }

    /// <summary>Adds a float32 initializer holding <paramref name="tensor"/> (any device or float dtype), named <paramref name="name"/>.</summary>
    public string Weight(string name, Tensor tensor)
    {
        using var scope = NewDisposeScope();
        var cpu = tensor.detach().to(ScalarType.Float32, CPU).contiguous();
        AddInitializer(OnnxProto.Tensor(Reserve(name), OnnxProto.Float, cpu.shape, cpu.bytes.ToArray()));
        return name;
    }

    /// <summary>
    /// Adds a float32 initializer [dims] named <paramref name="name"/> whose little-endian float32 data
    /// <paramref name="write"/> streams out when the model is written (so the weights need not be in memory all at once).
    /// </summary>
    public string Float32Weight(string name, long[] dims, Action<Stream> write)
    {
        AddInitializer(OnnxProto.Tensor(Reserve(name), OnnxProto.Float, dims, dims.Aggregate(4L, (p, d) => p * d), write));
        return name;
    }

    /// <summary>Adds weight <paramref name="name"/> of <paramref name="weights"/> as a float32 initializer of the same name and shape, streamed when the model is written.</summary>
    public string Float32Weight(string name, ExportWeights weights) => Float32Weight(name, weights.Shape(name), s => weights.WriteFloat32(name, s));

    /// <summary>Adds a float32 constant [dims] (a scalar when <paramref name="dims"/> is empty); returns its name.</summary>
    public string FloatConstant(string hint, float[] values, long[] dims) => FloatInitializer(UniqueName(hint), values, dims);

    /// <summary>Adds a float32 initializer [dims] named exactly <paramref name="name"/> (e.g. a weight built from several tensors).</summary>
    public string FloatWeight(string name, float[] values, long[] dims) => FloatInitializer(Reserve(name), values, dims);

    private string FloatInitializer(string name, float[] values, long[] dims)
    {
        AddInitializer(OnnxProto.Tensor(name, OnnxProto.Float, dims, MemoryMarshal.AsBytes(values.AsSpan()).ToArray()));
        return name;
    }

    /// <summary>A float32 scalar constant; equal scalars share one initializer.</summary>
    public string Scalar(string hint, float value) =>
        Shared($"f:{BitConverter.SingleToInt32Bits(value)}", () => FloatConstant(hint, [value], []));

    /// <summary>An int64 1-D constant (shapes, axes, indices), or a scalar when <paramref name="scalar"/> is true; equal constants share one initializer.</summary>
    public string Int64Constant(string hint, long[] values, bool scalar = false) =>
        Shared($"i{(scalar ? "s" : "")}:{string.Join(',', values)}", () =>
        {
            string name = UniqueName(hint);
            AddInitializer(OnnxProto.Tensor(name, OnnxProto.Int64, scalar ? [] : [values.Length], MemoryMarshal.AsBytes(values.AsSpan()).ToArray()));
            return name;
        });

    private string Shared(string key, Func<string> create)
    {
        if (!_constants.TryGetValue(key, out string? name)) _constants[key] = name = create();
        return name;
    }

    /// <summary>Adds a node with one output; returns the output's name.</summary>
    public string Op(string opType, params string[] inputs) => Op(opType, inputs, []);

    /// <summary>Adds a node with attributes and one output; returns the output's name.</summary>
    public string Op(string opType, string[] inputs, params ProtoMessage[] attributes)
    {
        string output = UniqueName(opType.ToLowerInvariant());
        _nodes.Add(OnnxProto.Node(opType, UniqueName(opType), inputs, [output], attributes));
        return output;
    }

    /// <summary>
    /// Adds a node of ONNX Runtime's contrib domain (<see cref="OnnxProto.MicrosoftDomain"/>) with one output; returns its
    /// name ("" in <paramref name="inputs"/> skips an optional input). The model then imports that domain
    /// (<see cref="UsesContribOps"/>) and runs in ONNX Runtime only.
    /// </summary>
    public string ContribOp(string opType, string[] inputs, params ProtoMessage[] attributes)
    {
        UsesContribOps = true;
        string output = UniqueName(opType.ToLowerInvariant());
        _nodes.Add(OnnxProto.Node(opType, UniqueName(opType), inputs, [output], attributes, OnnxProto.MicrosoftDomain));
        return output;
    }

    /// <summary>Whether any node is an ONNX Runtime contrib operator (the model must import <see cref="OnnxProto.MicrosoftDomain"/>).</summary>
    public bool UsesContribOps { get; private set; }

    /// <summary>Adds an int8 initializer [dims] named <paramref name="name"/> (quantized weights).</summary>
    public string Int8Weight(string name, sbyte[] values, long[] dims)
    {
        AddInitializer(OnnxProto.Tensor(Reserve(name), OnnxProto.Int8, dims, MemoryMarshal.AsBytes(values.AsSpan()).ToArray()));
        return name;
    }

    /// <summary>Adds a node with <paramref name="outputs"/> outputs (e.g. Loop: final carried values, then scan outputs); returns their names.</summary>
    public string[] Ops(string opType, string[] inputs, int outputs, params ProtoMessage[] attributes)
    {
        var names = Enumerable.Range(0, outputs).Select(_ => UniqueName(opType.ToLowerInvariant())).ToArray();
        _nodes.Add(OnnxProto.Node(opType, UniqueName(opType), inputs, names, attributes));
        return names;
    }

    /// <summary>The finished GraphProto.</summary>
    public ProtoMessage Build(string graphName) => OnnxProto.Graph(graphName, _nodes, _initializers, _inputs, _outputs);

    private void AddInitializer(ProtoMessage tensor)
    {
        _weightBytes += tensor.Size;
        if (_weightBytes > MaxModelBytes)
            throw new NotSupportedException("The model's weights exceed 2 GiB, the largest ONNX file without external data; models this large cannot be exported yet.");
        _initializers.Add(tensor);
    }

    private string Reserve(string name)
    {
        if (!_names.Add(name)) throw new InvalidOperationException($"ONNX value name '{name}' is used twice.");
        return name;
    }

    private string UniqueName(string hint)
    {
        while (true)
        {
            int n = _counters.TryGetValue(hint, out int c) ? c + 1 : 0;
            _counters[hint] = n;
            string name = $"{_namePrefix}{hint}_{n}";
            if (_names.Add(name)) return name;
        }
    }
}
