using System.Runtime.InteropServices;
using MLNet.Transfer.Onnx;
using TorchSharp;

namespace MLNet.Transfer.Checkpoints.OnnxImport;

/// <summary>
/// Imports the weights of a BERT encoder exported to ONNX (e.g. the embedded all-MiniLM-L6-v2 and
/// snowflake-arctic-embed-xs models) as tensors named like a Hugging Face <c>BertModel</c> state dict.
/// </summary>
/// <remarks>
/// Exporters keep parameter names for embeddings, LayerNorms and biases, but often give the Linear
/// weight matrices generated names ("990", "onnx::MatMul_851") and store them as [in, out]. Each
/// such matrix is named by following its MatMul to the Add that adds a named bias
/// (".bias" → ".weight") and is transposed to the nn.Linear layout [out, in]. Gemm nodes are
/// handled through their bias input and transB attribute.
/// </remarks>
public static class OnnxBertImporter
{
    private static readonly string[] HfRoots = ["embeddings.", "encoder.", "pooler."];

    /// <summary>Reads the weights of an ONNX BERT model held in memory.</summary>
    /// <returns>
    /// float32 CPU tensors keyed by <see cref="BertWeightNames"/> names, validated with
    /// <see cref="BertWeightDimensions.Infer(IReadOnlyDictionary{string, torch.Tensor})"/>. The caller owns them: they belong to no dispose scope.
    /// </returns>
    /// <exception cref="InvalidDataException">
    /// The bytes are not a well-formed ONNX model, a weight matrix cannot be named, or a BERT weight is
    /// missing or misshapen; the message names the tensor.
    /// </exception>
    public static Dictionary<string, torch.Tensor> ReadWeights(ReadOnlySpan<byte> onnx)
    {
        var mapped = Map(onnx);
        using var scope = torch.NewDisposeScope();
        var weights = new Dictionary<string, torch.Tensor>(StringComparer.Ordinal);
        foreach (var weight in mapped) weights[weight.Name] = ToTensor(onnx, weight);
        foreach (var tensor in weights.Values) tensor.DetachFromDisposeScope();
        return weights;
    }

    /// <summary>
    /// Reads the weights of an ONNX BERT model held in memory without TorchSharp (LibTorch is never loaded): each weight's
    /// name, shape and float32 data as a safetensors entry, exactly what <see cref="Safetensors"/> writes for the tensors
    /// <see cref="ReadWeights(ReadOnlySpan{byte})"/> returns. The entries read <paramref name="onnx"/> when written.
    /// </summary>
    /// <inheritdoc cref="ReadWeights(ReadOnlySpan{byte})"/>
    internal static IReadOnlyList<Safetensors.RawTensor> ReadRawWeights(byte[] onnx) =>
        Map(onnx).Select(w => new Safetensors.RawTensor(w.Name, "F32", w.Shape, w.Initializer.ElementCount * sizeof(float),
                                                         stream => Write(stream, onnx, w))).ToList();

    /// <summary>
    /// One BERT weight of an ONNX model: its BertModel name, the initializer holding it, and whether it is stored [in, out]
    /// (then transposed to nn.Linear's [out, in]).
    /// </summary>
    private sealed record MappedWeight(string Name, OnnxTensor Initializer, bool Transpose)
    {
        public long[] Shape => Transpose ? [Initializer.Dims[1], Initializer.Dims[0]] : [.. Initializer.Dims];
    }

    /// <summary>Names every float initializer that is a BERT weight and checks them with <see cref="BertWeightDimensions.Infer(IReadOnlyDictionary{string, long[]})"/>.</summary>
    private static List<MappedWeight> Map(ReadOnlySpan<byte> onnx)
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("ONNX raw tensor data is little-endian; big-endian hosts are not supported.");
        var graph = OnnxProtoReader.ReadGraph(onnx);

        var consumers = new Dictionary<string, List<OnnxNode>>(StringComparer.Ordinal);
        foreach (var node in graph.Nodes)
            foreach (string input in node.Inputs)
            {
                if (input.Length == 0) continue;
                if (!consumers.TryGetValue(input, out var list)) consumers[input] = list = [];
                list.Add(node);
            }
        var floatInitializers = graph.Initializers.Where(t => t.DataType == OnnxTensor.Float)
            .Select(t => t.Name).ToHashSet(StringComparer.Ordinal);

        var weights = new List<MappedWeight>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var initializer in graph.Initializers)
        {
            if (initializer.DataType != OnnxTensor.Float) continue;
            var use = FindLinearUse(initializer, consumers, floatInitializers);
            string? name = ToHfName(initializer.Name);
            if (name is null)
            {
                if (!use.IsLinear) continue; // a constant that is no Linear weight: not part of the state dict
                string? bias = use.BiasName is null ? null : ToHfName(use.BiasName);
                if (bias is null || !bias.EndsWith(".bias", StringComparison.Ordinal))
                    throw new InvalidDataException(
                        $"ONNX initializer '{initializer.Name}' {initializer.ShapeText} is a weight of {use.NodeDescription} " +
                        "but no named '*.bias' is added to its output, so its BERT name is unknown.");
                name = bias[..^".bias".Length] + ".weight";
            }
            if (!names.Add(name))
                throw new InvalidDataException($"ONNX model maps two tensors to BERT weight '{name}' (the second is '{initializer.Name}').");
            weights.Add(new MappedWeight(name, initializer, use.IsLinear && use.Transpose));
        }

        BertWeightDimensions.Infer(weights.ToDictionary(w => w.Name, w => w.Shape, StringComparer.Ordinal));
        return weights;
    }

    /// <summary>Reads the weights of an ONNX BERT model from a stream (read to its end).</summary>
    /// <inheritdoc cref="ReadWeights(ReadOnlySpan{byte})"/>
    public static Dictionary<string, torch.Tensor> ReadWeights(Stream onnx)
    {
        ArgumentNullException.ThrowIfNull(onnx);
        if (onnx is MemoryStream memory && memory.TryGetBuffer(out var buffer))
            return ReadWeights(buffer.AsSpan((int)memory.Position));
        using var copy = onnx.CanSeek ? new MemoryStream(checked((int)(onnx.Length - onnx.Position))) : new MemoryStream();
        onnx.CopyTo(copy);
        return ReadWeights(copy.GetBuffer().AsSpan(0, (int)copy.Length));
    }

    /// <summary>Reads the weights of an embedded default model (see <see cref="EmbeddedModelFiles.Find(string)"/>).</summary>
    /// <inheritdoc cref="ReadWeights(ReadOnlySpan{byte})"/>
    public static Dictionary<string, torch.Tensor> ReadWeights(EmbeddedModelSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return ReadWeights(source.ReadOnnx());
    }

    /// <summary>The BertModel key of an ONNX tensor name that keeps its parameter name ("bert." stripped), else null.</summary>
    private static string? ToHfName(string onnxName)
    {
        string name = onnxName.StartsWith("bert.", StringComparison.Ordinal) ? onnxName["bert.".Length..] : onnxName;
        return HfRoots.Any(r => name.StartsWith(r, StringComparison.Ordinal)) ? name : null;
    }

    private readonly record struct LinearUse(bool IsLinear, bool Transpose, string? BiasName, string NodeDescription);

    /// <summary>How a 2-D initializer is used as the weight (second input) of MatMul or Gemm nodes, if at all.</summary>
    private static LinearUse FindLinearUse(
        OnnxTensor initializer, Dictionary<string, List<OnnxNode>> consumers, HashSet<string> floatInitializers)
    {
        if (initializer.Dims.Count != 2 || !consumers.TryGetValue(initializer.Name, out var nodes)) return default;
        LinearUse? found = null;
        foreach (var node in nodes)
        {
            if (node.Inputs.Count < 2 || node.Inputs[1] != initializer.Name) continue;
            LinearUse use;
            if (node.OpType == "MatMul")
            {
                string? bias = null;
                foreach (var output in node.Outputs)
                    foreach (var add in consumers.GetValueOrDefault(output) ?? [])
                        if (add.OpType == "Add" && add.Inputs.Count == 2)
                        {
                            string other = add.Inputs[0] == output ? add.Inputs[1] : add.Inputs[0];
                            if (floatInitializers.Contains(other) && other.EndsWith(".bias", StringComparison.Ordinal)) bias ??= other;
                        }
                use = new LinearUse(true, Transpose: true, bias, $"MatMul '{node.Name}'");
            }
            else if (node.OpType == "Gemm" && node.IntAttributes.GetValueOrDefault("transA") == 0)
            {
                string? bias = node.Inputs.Count > 2 && floatInitializers.Contains(node.Inputs[2]) ? node.Inputs[2] : null;
                use = new LinearUse(true, Transpose: node.IntAttributes.GetValueOrDefault("transB") == 0, bias, $"Gemm '{node.Name}'");
            }
            else continue;

            if (found is { } first && (first.Transpose != use.Transpose || first.BiasName != use.BiasName))
                throw new InvalidDataException(
                    $"ONNX initializer '{initializer.Name}' is used as a weight by both {first.NodeDescription} and {use.NodeDescription} in different ways.");
            found ??= use;
        }
        return found ?? default;
    }

    /// <summary>Writes the weight's values as row-major float32 bytes in nn.Linear's layout (a 2-D [in, out] matrix transposed).</summary>
    private static void Write(Stream stream, byte[] onnx, MappedWeight weight)
    {
        var data = Data(onnx, weight.Initializer);
        if (!weight.Transpose) stream.Write(data);
        else stream.Write(ExportWeights.Transpose(data.ToArray(), (int)weight.Initializer.Dims[0], (int)weight.Initializer.Dims[1]));
    }

    /// <summary>The initializer's data as stored (raw_data in the model buffer, or its decoded float_data).</summary>
    private static ReadOnlySpan<byte> Data(ReadOnlySpan<byte> onnx, OnnxTensor initializer) =>
        initializer.ElementCount == 0 ? []
        : initializer.RawStart >= 0 ? onnx.Slice(initializer.RawStart, initializer.RawLength)
        : MemoryMarshal.AsBytes(CollectionsMarshal.AsSpan(initializer.FloatData));

    /// <summary>Copies the weight's data into a new float32 CPU tensor (one memcpy), transposing 2-D [in, out] data.</summary>
    private static torch.Tensor ToTensor(ReadOnlySpan<byte> onnx, MappedWeight weight)
    {
        var tensor = torch.empty(weight.Initializer.Dims.ToArray(), torch.ScalarType.Float32);
        if (weight.Initializer.ElementCount > 0) Data(onnx, weight.Initializer).CopyTo(tensor.bytes);
        if (!weight.Transpose) return tensor;
        using (tensor)
        using (var view = tensor.t())
            return view.contiguous();
    }
}
