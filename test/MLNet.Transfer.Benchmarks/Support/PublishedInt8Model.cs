using System.Runtime.InteropServices;
using MLNet.Transfer.Checkpoints.OnnxImport;
using MLNet.Transfer.Onnx;

namespace MLNet.Transfer.Benchmarks.Support;

/// <summary>
/// The int8 reference: a published ONNX model with every MatMul over a 2-D fp32 weight replaced by ONNX Runtime's
/// DynamicQuantizeMatMul over that weight quantized with our <see cref="Int8WeightQuantizer"/> (per output column,
/// symmetric), a following bias Add folded into it — the graph ONNX Runtime's own dynamic quantization
/// (<c>quantize_dynamic</c>, MatMulInteger, fused to DynamicQuantizeMatMul at load) ends with, produced in C# because ORT's
/// quantizer is Python-only. Everything else (attention, LayerNorm, GELU) is copied as published.
/// </summary>
internal static class PublishedInt8Model
{
    private const int GraphField = 7, OpsetField = 8, NodeField = 1, InitializerField = 5;

    public static byte[] Quantize(byte[] model)
    {
        var graph = OnnxProtoReader.ReadGraph(model);
        var initializers = graph.Initializers.Where(t => t.DataType == OnnxTensor.Float && t.RawStart >= 0).ToDictionary(t => t.Name);
        var consumers = graph.Nodes.SelectMany(n => n.Inputs.Select(i => (Input: i, Node: n))).ToLookup(p => p.Input, p => p.Node);
        var replaced = new Dictionary<OnnxNode, ProtoMessage>();
        var dropped = new HashSet<OnnxNode>();
        var quantized = new Dictionary<string, List<ProtoMessage>>();
        foreach (var node in graph.Nodes.Where(n => n.OpType == "MatMul"))
        {
            if (!initializers.TryGetValue(node.Inputs[1], out var weight) || weight.Dims.Count != 2 || consumers[weight.Name].Count() != 1) continue;
            int rows = (int)weight.Dims[0], columns = (int)weight.Dims[1];
            var values = Int8WeightQuantizer.Quantize(MemoryMarshal.Cast<byte, float>(model.AsSpan(weight.RawStart, weight.RawLength)), rows, columns, Int8WeightQuantizer.ReducedRange);
            quantized[weight.Name] =
            [
                OnnxProto.Tensor(weight.Name + ".int8", OnnxProto.Int8, [rows, columns], MemoryMarshal.AsBytes(values.Values.AsSpan()).ToArray()),
                OnnxProto.Tensor(weight.Name + ".scale", OnnxProto.Float, [columns], MemoryMarshal.AsBytes(values.Scales.AsSpan()).ToArray()),
            ];
            string output = node.Outputs[0], bias = "";
            var next = consumers[output].ToList();
            if (next is [{ OpType: "Add" } add] && add.Inputs.FirstOrDefault(i => i != output) is { } b && initializers.TryGetValue(b, out var biasTensor) && biasTensor.Dims.Count == 1)
            {
                bias = b;
                output = add.Outputs[0];
                dropped.Add(add);
            }
            replaced[node] = OnnxProto.Node("DynamicQuantizeMatMul", node.Name, [node.Inputs[0], weight.Name + ".int8", weight.Name + ".scale", "", bias], [output], [], OnnxProto.MicrosoftDomain);
        }

        var rebuilt = new ProtoMessage();
        var top = new ProtoWireReader(model, 0, model.Length, "ModelProto");
        while (top.Next(out int field, out int wire))
        {
            if (wire == ProtoWireReader.Varint) { rebuilt.Varint(field, (long)top.ReadVarint()); continue; }
            var (start, length) = top.ReadLengthDelimited("ModelProto field");
            if (field != GraphField) rebuilt.Bytes(field, model.AsMemory(start, length));
            else rebuilt.Message(GraphField, Graph(model, start, length, graph, replaced, dropped, quantized));
        }
        rebuilt.Message(OpsetField, new ProtoMessage().String(1, OnnxProto.MicrosoftDomain).Varint(2, 1));
        using var stream = new MemoryStream();
        rebuilt.WriteTo(stream);
        return stream.ToArray();
    }

    /// <summary>The GraphProto with nodes replaced or dropped and quantized weights in place of their fp32 initializers.</summary>
    private static ProtoMessage Graph(byte[] model, int start, int length, OnnxGraph graph, Dictionary<OnnxNode, ProtoMessage> replaced,
                                      HashSet<OnnxNode> dropped, Dictionary<string, List<ProtoMessage>> quantized)
    {
        var result = new ProtoMessage();
        var reader = new ProtoWireReader(model, start, length, "GraphProto");
        int node = 0, initializer = 0;
        while (reader.Next(out int field, out int wire))
        {
            reader.Expect(wire, ProtoWireReader.LengthDelimited, "GraphProto field");
            var (s, l) = reader.ReadLengthDelimited("GraphProto field");
            if (field == NodeField)
            {
                var current = graph.Nodes[node++];
                if (replaced.TryGetValue(current, out var message)) result.Message(NodeField, message);
                else if (!dropped.Contains(current)) result.Bytes(field, model.AsMemory(s, l));
            }
            else if (field == InitializerField && quantized.TryGetValue(graph.Initializers[initializer++].Name, out var tensors))
                foreach (var tensor in tensors) result.Message(InitializerField, tensor);
            else result.Bytes(field, model.AsMemory(s, l));
        }
        return result;
    }
}
