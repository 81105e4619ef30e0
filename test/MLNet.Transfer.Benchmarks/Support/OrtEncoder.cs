using Microsoft.ML.OnnxRuntime;
using MLNet.Transfer.Text;

namespace MLNet.Transfer.Benchmarks.Support;

/// <summary>
/// The reference: ONNX Runtime running the same model.onnx that our weights are imported from, on the same
/// token ids. Produces last_hidden_state and mean-pools it over real tokens in C# (what our embedder does
/// with TorchSharp), so both sides go from ids to pooled vectors.
/// </summary>
internal sealed class OrtEncoder : IDisposable
{
    private static readonly string[] InputNames = ["input_ids", "attention_mask", "token_type_ids"];
    private static readonly string[] OutputNames = ["last_hidden_state"];
    private readonly InferenceSession _session;
    private readonly RunOptions _run = new();

    public OrtEncoder(byte[] onnx, int threads)
    {
        using var options = new SessionOptions
        {
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        _session = new InferenceSession(onnx, options);
        HiddenSize = (int)_session.OutputMetadata["last_hidden_state"].Dimensions[^1];
    }

    public int HiddenSize { get; }

    /// <summary>Pads the batch to its longest item, runs the model and mean-pools each row over its real tokens.</summary>
    public float[][] EmbedMean(IReadOnlyList<EncodedText> batch, int padId)
    {
        int rows = batch.Count, width = batch.Max(b => b.Length);
        var ids = new long[rows * width];
        var mask = new long[rows * width];
        var types = new long[rows * width];
        if (padId != 0) Array.Fill(ids, padId);
        for (int r = 0; r < rows; r++)
        {
            var item = batch[r];
            for (int t = 0; t < item.Length; t++)
            {
                ids[r * width + t] = item.InputIds[t];
                types[r * width + t] = item.TokenTypeIds[t];
                mask[r * width + t] = 1;
            }
        }
        long[] shape = [rows, width];
        using var idsValue = OrtValue.CreateTensorValueFromMemory(ids, shape);
        using var maskValue = OrtValue.CreateTensorValueFromMemory(mask, shape);
        using var typesValue = OrtValue.CreateTensorValueFromMemory(types, shape);
        using var outputs = _session.Run(_run, InputNames, [idsValue, maskValue, typesValue], OutputNames);
        var states = outputs[0].GetTensorDataAsSpan<float>();

        int hidden = HiddenSize;
        var result = new float[rows][];
        for (int r = 0; r < rows; r++)
        {
            var sum = new float[hidden];
            int length = batch[r].Length;
            for (int t = 0; t < length; t++)
            {
                var token = states.Slice((r * width + t) * hidden, hidden);
                for (int d = 0; d < hidden; d++) sum[d] += token[d];
            }
            for (int d = 0; d < hidden; d++) sum[d] /= length;
            result[r] = sum;
        }
        return result;
    }

    /// <summary>
    /// Texts → vectors the way our embedder feeds its engine: our tokenizer, <see cref="LengthBatching.Batches"/> of
    /// <paramref name="batchSize"/>, padding per batch, C# mean pooling; vectors in input order.
    /// </summary>
    public float[][] EmbedTexts(BertWordPieceTokenizer tokenizer, IReadOnlyList<string> texts, int maxTokens, int batchSize)
    {
        var items = texts.Select(t => tokenizer.Encode(t, maxTokens)).ToArray();
        var vectors = new float[items.Length][];
        foreach (int[] group in LengthBatching.Batches(items.Select(i => i.Length).ToArray(), batchSize))
        {
            var rows = EmbedMean(group.Select(i => items[i]).ToArray(), tokenizer.PadId);
            for (int r = 0; r < group.Length; r++) vectors[group[r]] = rows[r];
        }
        return vectors;
    }

    public void Dispose()
    {
        _run.Dispose();
        _session.Dispose();
    }
}
