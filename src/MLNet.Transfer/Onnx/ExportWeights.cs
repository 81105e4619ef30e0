using System.Runtime.InteropServices;
using MLNet.Transfer.Checkpoints;
using static TorchSharp.torch;

namespace MLNet.Transfer.Onnx;

/// <summary>
/// Named weights an ONNX graph is emitted from, as little-endian float32 bytes: a TorchSharp state dict, or a safetensors
/// file read without TorchSharp (so a model that only runs on ONNX Runtime never needs LibTorch or its weights in memory).
/// </summary>
internal abstract class ExportWeights
{
    /// <summary>Whether there is a weight named <paramref name="name"/>.</summary>
    public abstract bool Contains(string name);

    /// <summary>The values of <paramref name="name"/> (row-major float32 bytes) and its shape.</summary>
    public abstract (byte[] Bytes, long[] Shape) Float32(string name);

    /// <summary>The shape of <paramref name="name"/>.</summary>
    public abstract long[] Shape(string name);

    /// <summary>Writes the values of <paramref name="name"/> (row-major float32 bytes) to <paramref name="stream"/>.</summary>
    public virtual void WriteFloat32(string name, Stream stream) => stream.Write(Float32(name).Bytes);

    /// <summary>The weights of a state dict (any device or float dtype).</summary>
    public static ExportWeights Of(IReadOnlyDictionary<string, Tensor> tensors) => new TensorWeights(tensors);

    /// <summary>The weights of a safetensors file; names missing from it are looked up under <paramref name="filePrefix"/> (e.g. "bert.").</summary>
    public static ExportWeights Of(SafetensorsFile file, string filePrefix = "") => new FileWeights(file, filePrefix);

    /// <summary>The transpose of a row-major float32 matrix [<paramref name="rows"/>, <paramref name="columns"/>], as bytes.</summary>
    public static byte[] Transpose(byte[] matrix, int rows, int columns)
    {
        var source = MemoryMarshal.Cast<byte, float>(matrix.AsSpan());
        var result = new byte[matrix.Length];
        var target = MemoryMarshal.Cast<byte, float>(result.AsSpan());
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++)
                target[c * rows + r] = source[r * columns + c];
        return result;
    }

    private sealed class TensorWeights(IReadOnlyDictionary<string, Tensor> tensors) : ExportWeights
    {
        public override bool Contains(string name) => tensors.ContainsKey(name);

        public override (byte[] Bytes, long[] Shape) Float32(string name)
        {
            using var scope = NewDisposeScope();
            var cpu = tensors[name].detach().to(ScalarType.Float32, CPU).contiguous();
            return (cpu.bytes.ToArray(), cpu.shape);
        }

        public override long[] Shape(string name) => tensors[name].shape;
    }

    private sealed class FileWeights(SafetensorsFile file, string filePrefix) : ExportWeights
    {
        private string Key(string name) => file.Contains(name) ? name : filePrefix + name;

        public override bool Contains(string name) => file.Contains(Key(name));

        public override (byte[] Bytes, long[] Shape) Float32(string name)
        {
            string key = Key(name);
            return (file.ReadFloat32(key), file.Shape(key));
        }

        public override long[] Shape(string name) => file.Shape(Key(name));

        public override void WriteFloat32(string name, Stream stream) => file.CopyFloat32(Key(name), stream);
    }
}
