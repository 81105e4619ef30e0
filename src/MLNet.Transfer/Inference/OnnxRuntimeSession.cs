using Microsoft.ML.OnnxRuntime;
using MLNet.Transfer.Onnx;
using MLNet.Transfer.Text;

namespace MLNet.Transfer.Inference;

/// <summary>
/// An ONNX Runtime session over one of our ONNX exports, built in memory (no file), which runs padded token batches.
/// Thread-safe: concurrent <see cref="Run"/> calls share the session (ONNX Runtime allows it) and keep their buffers local.
/// </summary>
internal sealed class OnnxRuntimeSession : IDisposable
{
    private static readonly string[] InputNames = [OnnxExport.InputIds, OnnxExport.AttentionMask, OnnxExport.TokenTypeIds];
    private readonly InferenceSession _session;
    private readonly int _padId;

    /// <summary>Exports the model with <paramref name="writeModel"/> into memory and opens it.</summary>
    /// <param name="writeModel">Writes the ONNX model (one of the <see cref="OnnxExport"/> graphs).</param>
    /// <param name="padId">The tokenizer's [PAD] id, written into padding positions.</param>
    public OnnxRuntimeSession(Action<Stream> writeModel, int padId)
    {
        byte[] model;
        using (var stream = new MemoryStream())
        {
            writeModel(stream);
            model = stream.Length == stream.Capacity ? stream.GetBuffer() : stream.ToArray();
        }
        // The export's copies of the weights are garbage once the bytes are written, and the bytes once the session
        // holds the model: collecting each right away keeps them out of ONNX Runtime's own peak (session creation
        // briefly needs about twice the model's size) instead of leaving them to the next full collection.
        CollectGarbage();
        using (var options = Options()) _session = new InferenceSession(model, options);
        _padId = padId;
        model = null!;
        CollectGarbage();
    }

    /// <summary>
    /// Intra-op threads = LibTorch's intra-op thread count (the physical cores unless <c>OMP_NUM_THREADS</c> or
    /// <c>torch.set_num_threads</c> say otherwise, so both engines use the cores alike), one inter-op thread, sequential
    /// execution, every graph optimisation (fused attention, GELU and LayerNorm kernels where ONNX Runtime recognises them).
    /// </summary>
    private static SessionOptions Options() => new()
    {
        IntraOpNumThreads = Math.Max(1, TorchSharp.torch.get_num_threads()),
        InterOpNumThreads = 1,
        ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
    };

    /// <summary>
    /// Pads <paramref name="batch"/> to its longest item, runs the model and returns <paramref name="outputs"/> as flat
    /// row-major float arrays, in the order asked. <paramref name="extraInputs"/> are further int64 inputs of the graph
    /// (e.g. a tagger's word positions).
    /// </summary>
    public float[][] Run(IReadOnlyList<EncodedText> batch, IReadOnlyList<string> outputs, IReadOnlyList<Int64Input>? extraInputs = null)
    {
        var padded = PaddedTokens.Create(batch, _padId);
        long[] shape = [padded.Rows, padded.Width];
        using var ids = OrtValue.CreateTensorValueFromMemory(padded.InputIds, shape);
        using var mask = OrtValue.CreateTensorValueFromMemory(padded.AttentionMask, shape);
        using var types = OrtValue.CreateTensorValueFromMemory(padded.TokenTypeIds, shape);
        extraInputs ??= [];
        var extra = extraInputs.Select(i => OrtValue.CreateTensorValueFromMemory(i.Values, i.Shape)).ToArray();
        try
        {
            using var run = new RunOptions();
            using var results = _session.Run(run, [.. InputNames, .. extraInputs.Select(i => i.Name)], [ids, mask, types, .. extra], outputs);
            return results.Select(r => r.GetTensorDataAsSpan<float>().ToArray()).ToArray();
        }
        finally
        {
            foreach (var value in extra) value.Dispose();
        }
    }

    /// <summary>A named int64 input tensor, flat row-major values with their shape.</summary>
    public sealed record Int64Input(string Name, long[] Values, long[] Shape);

    private static void CollectGarbage() => GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);

    /// <summary>Releases the native session.</summary>
    public void Dispose() => _session.Dispose();
}
