using MLNet.Transfer.Encoders;
using MLNet.Transfer.Models;
using MLNet.Transfer.Text;
using static TorchSharp.torch;

namespace MLNet.Transfer.Benchmarks.Support;

/// <summary>
/// Ours, from ids: exactly the per-batch work of <see cref="SentenceEmbedder"/> for mean pooling of the last
/// layer (TokenBatch.Create, inference mode, BertModel.Forward, Pooling.Pool, copy out to float[][]), without
/// tokenization, which the tokenizer comparison measures.
/// </summary>
internal static class TorchEmbedder
{
    public static float[][] EmbedMean(PretrainedEncoder encoder, IReadOnlyList<EncodedText> batch)
    {
        using var scope = NewDisposeScope();
        using var mode = inference_mode();
        using var tokens = TokenBatch.Create(batch, encoder.Tokenizer.PadId, encoder.Device);
        var states = encoder.Model.Forward(tokens.InputIds, tokens.TokenTypeIds, tokens.AttentionMask);
        var pooled = Pooling.Pool(states[^1], tokens.AttentionMask, PoolingMode.Mean);
        var flat = pooled.to(ScalarType.Float32).cpu().contiguous().data<float>().ToArray();
        int width = encoder.HiddenSize;
        var rows = new float[batch.Count][];
        for (int r = 0; r < rows.Length; r++) rows[r] = flat.AsSpan(r * width, width).ToArray();
        return rows;
    }

    /// <summary>Smallest cosine similarity between corresponding vectors.</summary>
    public static double MinCosine(float[][] a, float[][] b)
    {
        double min = 1;
        for (int i = 0; i < a.Length; i++)
        {
            double dot = 0, na = 0, nb = 0;
            for (int d = 0; d < a[i].Length; d++)
            {
                dot += (double)a[i][d] * b[i][d];
                na += (double)a[i][d] * a[i][d];
                nb += (double)b[i][d] * b[i][d];
            }
            min = Math.Min(min, dot / Math.Sqrt(na * nb));
        }
        return min;
    }

    /// <summary>Largest absolute element difference between two sets of vectors.</summary>
    public static double MaxAbsDifference(float[][] a, float[][] b)
    {
        double max = 0;
        for (int i = 0; i < a.Length; i++)
            for (int d = 0; d < a[i].Length; d++)
                max = Math.Max(max, Math.Abs(a[i][d] - b[i][d]));
        return max;
    }
}
