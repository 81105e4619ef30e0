namespace MLNet.Transfer.Onnx;

/// <summary>
/// The parts of the ONNX protobuf schema (onnx.proto, IR version 8) that export writes, as <see cref="ProtoMessage"/>
/// factories: ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto (raw_data), ValueInfoProto,
/// OperatorSetIdProto and StringStringEntryProto. Field numbers are the schema's.
/// </summary>
internal static class OnnxProto
{
    /// <summary>IR version 8 (ONNX 1.10+), the one that goes with opset 17.</summary>
    public const long IrVersion = 8;

    /// <summary>TensorProto.DataType FLOAT.</summary>
    public const int Float = 1;
    /// <summary>TensorProto.DataType INT8.</summary>
    public const int Int8 = 3;
    /// <summary>TensorProto.DataType BOOL.</summary>
    public const int Bool = 9;
    /// <summary>TensorProto.DataType INT32.</summary>
    public const int Int32 = 6;
    /// <summary>TensorProto.DataType INT64.</summary>
    public const int Int64 = 7;

    private const int AttributeFloat = 1, AttributeInt = 2, AttributeString = 3, AttributeGraph = 5, AttributeInts = 7;

    /// <summary>A tensor dimension: a fixed size or a symbolic (dynamic) name.</summary>
    public readonly record struct Dim(long? Value, string? Symbol)
    {
        /// <summary>A fixed size.</summary>
        public static implicit operator Dim(long value) => new(value, null);

        /// <summary>A symbolic size such as "batch".</summary>
        public static implicit operator Dim(string symbol) => new(null, symbol);
    }

    /// <summary>The domain of ONNX Runtime's contrib operators (Attention, SkipLayerNormalization, BiasGelu, DynamicQuantizeMatMul, …).</summary>
    public const string MicrosoftDomain = "com.microsoft";

    /// <summary>
    /// ModelProto: header fields, the default-domain opset import (plus version 1 of <see cref="MicrosoftDomain"/> when
    /// <paramref name="contribOps"/>), the graph and string metadata.
    /// </summary>
    public static ProtoMessage Model(ProtoMessage graph, int opset, string producer, string producerVersion, IEnumerable<KeyValuePair<string, string>> metadata,
                                     bool contribOps = false)
    {
        var model = new ProtoMessage()
            .Varint(1, IrVersion)
            .String(2, producer)
            .String(3, producerVersion)
            .Message(8, new ProtoMessage().String(1, "").Varint(2, opset));
        if (contribOps) model.Message(8, new ProtoMessage().String(1, MicrosoftDomain).Varint(2, 1));
        model.Message(7, graph);
        foreach (var (key, value) in metadata)
            model.Message(14, new ProtoMessage().String(1, key).String(2, value));
        return model;
    }

    /// <summary>GraphProto.</summary>
    public static ProtoMessage Graph(string name, IEnumerable<ProtoMessage> nodes, IEnumerable<ProtoMessage> initializers,
                                     IEnumerable<ProtoMessage> inputs, IEnumerable<ProtoMessage> outputs)
    {
        var graph = new ProtoMessage();
        foreach (var node in nodes) graph.Message(1, node);
        graph.String(2, name);
        foreach (var initializer in initializers) graph.Message(5, initializer);
        foreach (var input in inputs) graph.Message(11, input);
        foreach (var output in outputs) graph.Message(12, output);
        return graph;
    }

    /// <summary>NodeProto of <paramref name="domain"/> (default: the ONNX domain); <paramref name="attributes"/> come from the Attribute factories.</summary>
    public static ProtoMessage Node(string opType, string name, IEnumerable<string> inputs, IEnumerable<string> outputs, IEnumerable<ProtoMessage> attributes,
                                    string domain = "")
    {
        var node = new ProtoMessage();
        foreach (string input in inputs) node.String(1, input);
        foreach (string output in outputs) node.String(2, output);
        node.String(3, name).String(4, opType);
        foreach (var attribute in attributes) node.Message(5, attribute);
        if (domain.Length > 0) node.String(7, domain);
        return node;
    }

    /// <summary>An INT attribute.</summary>
    public static ProtoMessage IntAttribute(string name, long value) =>
        new ProtoMessage().String(1, name).Varint(3, value).Varint(20, AttributeInt);

    /// <summary>A FLOAT attribute.</summary>
    public static ProtoMessage FloatAttribute(string name, float value) =>
        new ProtoMessage().String(1, name).Float(2, value).Varint(20, AttributeFloat);

    /// <summary>A STRING attribute (UTF-8).</summary>
    public static ProtoMessage StringAttribute(string name, string value) =>
        new ProtoMessage().String(1, name).String(4, value).Varint(20, AttributeString);

    /// <summary>A GRAPH attribute (the body of a Loop, Scan or If).</summary>
    public static ProtoMessage GraphAttribute(string name, ProtoMessage graph) =>
        new ProtoMessage().String(1, name).Message(6, graph).Varint(20, AttributeGraph);

    /// <summary>An INTS attribute.</summary>
    public static ProtoMessage IntsAttribute(string name, IEnumerable<long> values) =>
        new ProtoMessage().String(1, name).Varints(8, values).Varint(20, AttributeInts);

    /// <summary>TensorProto with little-endian raw_data (referenced, not copied).</summary>
    public static ProtoMessage Tensor(string name, int dataType, IEnumerable<long> dims, ReadOnlyMemory<byte> rawData) =>
        new ProtoMessage().Varints(1, dims).Varint(2, dataType).String(8, name).Bytes(9, rawData);

    /// <summary>TensorProto whose <paramref name="length"/> bytes of little-endian raw_data <paramref name="write"/> produces when the model is written.</summary>
    public static ProtoMessage Tensor(string name, int dataType, IEnumerable<long> dims, long length, Action<Stream> write) =>
        new ProtoMessage().Varints(1, dims).Varint(2, dataType).String(8, name).Bytes(9, length, write);

    /// <summary>ValueInfoProto of a dense tensor with element type <paramref name="elementType"/> and shape <paramref name="dims"/>.</summary>
    public static ProtoMessage ValueInfo(string name, int elementType, IEnumerable<Dim> dims)
    {
        var shape = new ProtoMessage();
        foreach (var dim in dims)
            shape.Message(1, dim.Symbol is { } symbol ? new ProtoMessage().String(2, symbol) : new ProtoMessage().Varint(1, dim.Value!.Value));
        var tensorType = new ProtoMessage().Varint(1, elementType).Message(2, shape);
        return new ProtoMessage().String(1, name).Message(2, new ProtoMessage().Message(1, tensorType));
    }
}
