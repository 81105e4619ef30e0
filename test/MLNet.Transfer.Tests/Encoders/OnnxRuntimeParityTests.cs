using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MLNet.Transfer.Checkpoints;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.Models;
using MLNet.Transfer.Text;
using static TorchSharp.torch;

namespace MLNet.Transfer.Tests.Encoders;

/// <summary>
/// On real sentences of mixed length (including ones truncated at the token budget, unicode and empty text),
/// our encoder's last-layer states match ONNX Runtime running the same ONNX file, batched and one by one.
/// </summary>
[Category("Integration")]
[Category("SharedData")]
public class OnnxRuntimeParityTests
{
    private const int MaxTokens = 256;

    private static List<string> Sentences()
    {
        var texts = new List<string> { "", "   ", "héllo wörld — naïve café ☕ 你好 🙂", "hello world" };
        foreach (var (file, take) in new[] { ("sentiment-uci/imdb.tsv", 80), ("agnews/test.tsv", 60), ("irony-semeval2018/test.tsv", 40), ("sst2/dev.tsv", 40) })
            texts.AddRange(File.ReadLines(SharedData.Path(file.Split('/'))).Skip(1).Take(take).Select(l => l[(l.IndexOf('\t') + 1)..]));
        // Long documents: several AG News texts joined, far beyond the token budget.
        var ag = File.ReadLines(SharedData.Path("agnews", "test.tsv")).Skip(100).Take(40).Select(l => l[(l.IndexOf('\t') + 1)..]).ToArray();
        for (int i = 0; i < 8; i++) texts.Add(string.Join(" ", ag.Skip(i * 5).Take(5)));
        return texts;
    }

    [Test]
    public void LastHiddenStatesMatchOnnxRuntimeBatchedAndUnbatched()
    {
        var encoder = TestModels.MiniLm;
        var texts = Sentences();
        Assert.That(texts, Has.Count.GreaterThanOrEqualTo(200));
        var items = texts.Select(t => encoder.Tokenizer.Encode(t, MaxTokens)).ToList();
        Assert.That(items.Count(i => i.Length == MaxTokens), Is.GreaterThanOrEqualTo(5), "some texts must hit the token budget");

        using var session = new InferenceSession(EmbeddedModelFiles.Find("minilm").ReadOnnx());
        double maxDiff = 0, minCos = 1;
        var unbatched = new float[items.Count][];
        for (int i = 0; i < items.Count; i++)
        {
            var reference = RunOnnx(session, items[i]);
            var ours = LastHidden([items[i]])[0];
            maxDiff = Math.Max(maxDiff, reference.Zip(ours).Max(p => Math.Abs(p.First - p.Second)));
            unbatched[i] = MeanPool(ours, items[i].Length);
            minCos = Math.Min(minCos, Cosine(unbatched[i], MeanPool(reference, items[i].Length)));
        }
        Assert.That(maxDiff, Is.LessThanOrEqualTo(1e-4), "max |ours − ORT| over all token states");
        Assert.That(minCos, Is.GreaterThanOrEqualTo(0.99999), "pooled vectors vs ORT");

        // Batched with padding (mixed lengths in one batch): pooled vectors equal the unbatched ones.
        var batched = encoder.Embed(texts, new EmbeddingSettings { MaxTokens = MaxTokens, BatchSize = 16 });
        double batchDiff = batched.Zip(unbatched).Max(p => p.First.Zip(p.Second).Max(q => Math.Abs(q.First - q.Second)));
        Assert.That(batchDiff, Is.LessThanOrEqualTo(1e-4), "padding must not change results");
    }

    private static float[] RunOnnx(InferenceSession session, EncodedText item)
    {
        int n = item.Length;
        var dims = new[] { 1, n };
        var inputs = new List<NamedOnnxValue>
        {
            NamedOnnxValue.CreateFromTensor("input_ids", new DenseTensor<long>(item.InputIds.Select(x => (long)x).ToArray(), dims)),
            NamedOnnxValue.CreateFromTensor("attention_mask", new DenseTensor<long>(Enumerable.Repeat(1L, n).ToArray(), dims)),
            NamedOnnxValue.CreateFromTensor("token_type_ids", new DenseTensor<long>(item.TokenTypeIds.Select(x => (long)x).ToArray(), dims)),
        };
        using var results = session.Run(inputs, ["last_hidden_state"]);
        return results[0].AsTensor<float>().ToArray();
    }

    private static float[][] LastHidden(IReadOnlyList<EncodedText> batch)
    {
        var encoder = TestModels.MiniLm;
        using var scope = NewDisposeScope();
        using var mode = inference_mode();
        using var tokens = TokenBatch.Create(batch, encoder.Tokenizer.PadId);
        var states = encoder.Model.Forward(tokens.InputIds, tokens.TokenTypeIds, tokens.AttentionMask);
        return [states[^1].contiguous().data<float>().ToArray()];
    }

    private static float[] MeanPool(float[] states, int length)
    {
        var result = new float[384];
        for (int t = 0; t < length; t++)
            for (int d = 0; d < 384; d++) result[d] += states[t * 384 + d] / length;
        return result;
    }

    private static double Cosine(float[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.Length; i++) { dot += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
        return dot / Math.Sqrt(na * nb);
    }
}
