namespace MLNet.Transfer.Checkpoints.OnnxImport;

/// <summary>An ONNX NodeProto: just what weight mapping needs (integer attributes only, e.g. Gemm's transB).</summary>
internal sealed record OnnxNode(
    string Name, string OpType, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs, IReadOnlyDictionary<string, long> IntAttributes);

/// <summary>
/// An ONNX TensorProto initializer. Data stays in the model buffer: <see cref="RawStart"/>/<see cref="RawLength"/>
/// locate raw_data; float_data / int64_data (rare for weights) are decoded into arrays.
/// </summary>
internal sealed class OnnxTensor
{
    /// <summary>ONNX TensorProto.DataType FLOAT.</summary>
    public const int Float = 1;
    /// <summary>ONNX TensorProto.DataType INT64.</summary>
    public const int Int64 = 7;

    public string Name { get; set; } = "";
    public int DataType { get; set; }
    public List<long> Dims { get; } = [];
    public int RawStart { get; set; } = -1;
    public int RawLength { get; set; }
    public List<float>? FloatData { get; set; }
    public List<long>? Int64Data { get; set; }
    public bool IsExternal { get; set; }

    /// <summary>Number of elements (product of dims; 1 for a scalar).</summary>
    public long ElementCount { get; set; } = 1;

    /// <summary>The shape as text, e.g. "[384, 1536]".</summary>
    public string ShapeText => "[" + string.Join(", ", Dims) + "]";
}

/// <summary>An ONNX GraphProto: its nodes and initializers.</summary>
internal sealed record OnnxGraph(List<OnnxNode> Nodes, List<OnnxTensor> Initializers);

/// <summary>
/// A minimal reader of the ONNX protobuf wire format (no generated code): ModelProto.graph →
/// GraphProto.node / initializer → NodeProto names and TensorProto metadata and data locations.
/// Data of FLOAT and INT64 tensors is validated against the shape.
/// </summary>
internal static class OnnxProtoReader
{
    /// <summary>Parses a serialized ModelProto.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a well-formed ONNX model.</exception>
    public static OnnxGraph ReadGraph(ReadOnlySpan<byte> model)
    {
        if (model.IsEmpty) throw new InvalidDataException("ONNX file is empty.");
        var reader = new ProtoWireReader(model, 0, model.Length, "ModelProto");
        OnnxGraph? graph = null;
        while (reader.Next(out int field, out int wire))
        {
            if (field == 7)
            {
                reader.Expect(wire, ProtoWireReader.LengthDelimited, "ModelProto.graph");
                graph = ReadGraph(model, reader.ReadMessage("GraphProto"));
            }
            else reader.Skip(wire);
        }
        return graph ?? throw new InvalidDataException("ONNX file has no graph (ModelProto field 7).");
    }

    private static OnnxGraph ReadGraph(ReadOnlySpan<byte> model, ProtoWireReader reader)
    {
        var graph = new OnnxGraph([], []);
        while (reader.Next(out int field, out int wire))
        {
            switch (field)
            {
                case 1:
                    reader.Expect(wire, ProtoWireReader.LengthDelimited, "GraphProto.node");
                    graph.Nodes.Add(ReadNode(reader.ReadMessage("NodeProto")));
                    break;
                case 5:
                    reader.Expect(wire, ProtoWireReader.LengthDelimited, "GraphProto.initializer");
                    var tensor = ReadTensor(reader.ReadMessage("TensorProto"));
                    Validate(tensor, model.Length);
                    graph.Initializers.Add(tensor);
                    break;
                default:
                    reader.Skip(wire);
                    break;
            }
        }
        return graph;
    }

    private static OnnxNode ReadNode(ProtoWireReader reader)
    {
        var inputs = new List<string>(2);
        var outputs = new List<string>(1);
        var attributes = new Dictionary<string, long>();
        string name = "", opType = "";
        while (reader.Next(out int field, out int wire))
        {
            switch (field)
            {
                case 1: reader.Expect(wire, ProtoWireReader.LengthDelimited, "NodeProto.input"); inputs.Add(reader.ReadString("input")); break;
                case 2: reader.Expect(wire, ProtoWireReader.LengthDelimited, "NodeProto.output"); outputs.Add(reader.ReadString("output")); break;
                case 3: reader.Expect(wire, ProtoWireReader.LengthDelimited, "NodeProto.name"); name = reader.ReadString("name"); break;
                case 4: reader.Expect(wire, ProtoWireReader.LengthDelimited, "NodeProto.op_type"); opType = reader.ReadString("op_type"); break;
                case 5: reader.Expect(wire, ProtoWireReader.LengthDelimited, "NodeProto.attribute"); ReadIntAttribute(reader.ReadMessage("AttributeProto"), attributes); break;
                default: reader.Skip(wire); break;
            }
        }
        return new OnnxNode(name, opType, inputs, outputs, attributes);
    }

    private static void ReadIntAttribute(ProtoWireReader reader, Dictionary<string, long> into)
    {
        string? name = null;
        long? value = null;
        while (reader.Next(out int field, out int wire))
        {
            if (field == 1 && wire == ProtoWireReader.LengthDelimited) name = reader.ReadString("AttributeProto.name");
            else if (field == 3 && wire == ProtoWireReader.Varint) value = (long)reader.ReadVarint();
            else reader.Skip(wire); // floats, strings, tensors, subgraphs: not needed
        }
        if (name is not null && value is not null) into[name] = value.Value;
    }

    private static OnnxTensor ReadTensor(ProtoWireReader reader)
    {
        var tensor = new OnnxTensor();
        while (reader.Next(out int field, out int wire))
        {
            switch (field)
            {
                case 1: // dims: repeated int64, packed or not
                    ReadInt64s(ref reader, wire, tensor.Dims, "TensorProto.dims");
                    break;
                case 2:
                    reader.Expect(wire, ProtoWireReader.Varint, "TensorProto.data_type");
                    tensor.DataType = (int)reader.ReadVarint();
                    break;
                case 4: // float_data: repeated float, packed or not
                    tensor.FloatData ??= [];
                    if (wire == ProtoWireReader.Fixed32) tensor.FloatData.Add(BitConverter.UInt32BitsToSingle(reader.ReadFixed32()));
                    else
                    {
                        reader.Expect(wire, ProtoWireReader.LengthDelimited, "TensorProto.float_data");
                        var packed = reader.ReadMessage("TensorProto.float_data");
                        while (packed.HasMore) tensor.FloatData.Add(BitConverter.UInt32BitsToSingle(packed.ReadFixed32()));
                    }
                    break;
                case 7:
                    tensor.Int64Data ??= [];
                    ReadInt64s(ref reader, wire, tensor.Int64Data, "TensorProto.int64_data");
                    break;
                case 8:
                    reader.Expect(wire, ProtoWireReader.LengthDelimited, "TensorProto.name");
                    tensor.Name = reader.ReadString("name");
                    break;
                case 9:
                    reader.Expect(wire, ProtoWireReader.LengthDelimited, "TensorProto.raw_data");
                    (tensor.RawStart, tensor.RawLength) = reader.ReadLengthDelimited("raw_data");
                    break;
                case 14: // data_location: 1 = EXTERNAL
                    reader.Expect(wire, ProtoWireReader.Varint, "TensorProto.data_location");
                    tensor.IsExternal = reader.ReadVarint() == 1;
                    break;
                default:
                    reader.Skip(wire);
                    break;
            }
        }
        return tensor;
    }

    private static void ReadInt64s(ref ProtoWireReader reader, int wire, List<long> into, string field)
    {
        if (wire == ProtoWireReader.Varint)
        {
            into.Add((long)reader.ReadVarint());
            return;
        }
        reader.Expect(wire, ProtoWireReader.LengthDelimited, field);
        var packed = reader.ReadMessage(field);
        while (packed.HasMore) into.Add((long)packed.ReadVarint());
    }

    private static void Validate(OnnxTensor tensor, int bufferLength)
    {
        string name = tensor.Name.Length > 0 ? tensor.Name : "(unnamed)";
        if (tensor.IsExternal)
            throw new InvalidDataException($"ONNX initializer '{name}' uses external data, which is not supported; save the model with all data inside.");
        long count = 1;
        foreach (long d in tensor.Dims)
        {
            if (d < 0 || (d > 0 && count > int.MaxValue / d))
                throw new InvalidDataException($"ONNX initializer '{name}' has an invalid shape {tensor.ShapeText}.");
            count *= d;
        }
        tensor.ElementCount = count;
        int elementSize = tensor.DataType switch { OnnxTensor.Float => 4, OnnxTensor.Int64 => 8, _ => 0 };
        if (elementSize == 0) return; // other types carry no data we use
        long have = tensor.RawStart >= 0 ? tensor.RawLength
            : tensor.DataType == OnnxTensor.Float ? (tensor.FloatData?.Count ?? 0) * 4L
            : (tensor.Int64Data?.Count ?? 0) * 8L;
        if (have != count * elementSize)
            throw new InvalidDataException(
                $"ONNX initializer '{name}' with shape {tensor.ShapeText} needs {count * elementSize} data bytes but has {have}.");
        if (tensor.RawStart >= 0 && tensor.RawStart > bufferLength - tensor.RawLength)
            throw new InvalidDataException($"ONNX initializer '{name}' data lies outside the file.");
    }
}
