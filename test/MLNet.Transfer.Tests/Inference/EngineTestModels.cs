using Microsoft.ML;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.MLNetIntegration;
using MLNet.Transfer.Models;
using MLNet.Transfer.Models.Heads;
using MLNet.Transfer.Models.Recurrent;
using MLNet.Transfer.Tests.MLNetIntegration;
using MLNet.Transfer.Tests.Pretraining;
using MLNet.Transfer.Tests.Text;
using static MLNet.Transfer.Tests.Onnx.OnnxTestModels;
using static TorchSharp.torch;

namespace MLNet.Transfer.Tests.Inference;

/// <summary>A text row with an optional second segment.</summary>
public sealed class PairRow
{
    public string Text { get; set; } = "";
    public string Second { get; set; } = "";
}

/// <summary>Tiny random transformers for comparing inference engines, and the comparisons themselves.</summary>
internal static class EngineTestModels
{
    /// <summary>Texts of 1–19 word pieces, an empty one and an unknown word (from <see cref="Onnx.OnnxTestModels.Texts"/>), plus a 60-word one.</summary>
    public static string[] Texts { get; } =
        [.. Onnx.OnnxTestModels.Texts, string.Join(' ', Enumerable.Repeat("the plot was not good but the acting was great", 6))];

    /// <summary><see cref="Texts"/> paired with the same texts reversed.</summary>
    public static IDataView Pairs(MLContext mlContext) =>
        mlContext.Data.LoadFromEnumerable(Texts.Zip(Texts.Reverse(), (a, b) => new PairRow { Text = a, Second = b }).ToList());

    /// <summary><see cref="Texts"/> as a Text column.</summary>
    public static IDataView Rows(MLContext mlContext) => Pairs(mlContext);

    /// <summary>Contextual embeddings on a tiny random BERT (the encoder is shared by every engine built from them).</summary>
    public static ContextualEmbeddingTransformer Embeddings(MLContext mlContext, PretrainedEncoder encoder, Action<ContextualEmbeddingOptions> configure)
    {
        var options = new ContextualEmbeddingOptions { Encoder = encoder, BatchSize = 4 };
        configure(options);
        return mlContext.Transforms.Text.ApplyContextualEmbeddings(options).Fit(Rows(mlContext));
    }

    /// <summary>A fine-tuned-style transformer over a tiny random BERT whose heads (and encoder) are perturbed, on <paramref name="engine"/>.</summary>
    public static FineTunedTextTransformer Classifier(TaskSpec[] tasks, InferenceEngine engine = InferenceEngine.Auto, PoolingMode pooling = PoolingMode.Mean,
                                                      int maxTokens = 32, int windowStride = 0, string? second = null, int seed = 7)
    {
        var encoder = PretrainedEncoder.FromModel("tiny", TinyBert(seed), Vocabulary, CPU);
        return Classifier(encoder, encoder.Model, tasks, engine, pooling, maxTokens, windowStride, second);
    }

    /// <summary>The same over any <paramref name="network"/> (e.g. a recurrent encoder).</summary>
    public static FineTunedTextTransformer Classifier(PretrainedEncoder encoder, TextEncoder network, TaskSpec[] tasks, InferenceEngine engine,
                                                      PoolingMode pooling = PoolingMode.Mean, int maxTokens = 32, int windowStride = 0, string? second = null)
    {
        var model = new TransferModel(network, tasks, pooling, 0);
        Perturb(model);
        model.eval();
        var columns = tasks.Select(t =>
        {
            string[]? names = t.Kind is TaskKind.Multiclass or TaskKind.MultiLabel ? Enumerable.Range(0, t.Outputs).Select(i => $"c{i}").ToArray() : null;
            return tasks.Length == 1 ? TaskColumns.Standard(names) : TaskColumns.ForTask(t.Name, names);
        }).ToArray();
        var input = new FineTunedTextTransformer.TextInput("Text", second, maxTokens, TruncationStrategy.Head, windowStride);
        return new FineTunedTextTransformer(encoder, model, input, columns, batchSize: 4, engine);
    }

    /// <summary>A tiny random AWD-LSTM encoder (not exportable to ONNX).</summary>
    public static PretrainedEncoder Recurrent() =>
        PretrainedEncoder.FromModel("tiny-lstm", new RecurrentEncoder(RecurrentLanguageModelTests.Tiny(RecurrentConfig.AwdLstmType)), TestVocab.SmallTokens(), CPU);

    /// <summary>Every value of a Single or Single-vector column, per row.</summary>
    public static float[][] Values(IDataView data, string column) =>
        TextRows.Column(data, column).Select(line => line.Length == 0 ? [] : line.Split(' ').Select(float.Parse).ToArray()).ToArray();

    /// <summary>Asserts two sets of vectors agree (max |Δ| ≤ <paramref name="tolerance"/>, cosine ≥ 0.9999) and that they vary across rows.</summary>
    public static void AssertClose(float[][] expected, float[][] actual, double tolerance, string what)
    {
        Assert.That(actual, Has.Length.EqualTo(expected.Length), what);
        Assert.That(expected.Select(v => string.Join(",", v.Select(x => x.ToString("F3")))).Distinct().Count(), Is.GreaterThan(expected.Length / 2),
                    $"{what}: the rows must differ, else the comparison proves nothing");
        double diff = MaxAbsDiff(expected, actual);
        double cosine = expected.Zip(actual, Cosine).Min();
        TestContext.Out.WriteLine($"{what}: max |ORT − LibTorch| = {diff:E2}, min cosine {cosine:F7}");
        Assert.That(diff, Is.LessThanOrEqualTo(tolerance), what);
        Assert.That(cosine, Is.GreaterThanOrEqualTo(0.9999), what);
    }

    /// <summary>Cosine similarity of two vectors (1 when both are zero).</summary>
    public static double Cosine(float[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.Length; i++) { dot += (double)a[i] * b[i]; na += (double)a[i] * a[i]; nb += (double)b[i] * b[i]; }
        return na == 0 && nb == 0 ? 1 : dot / Math.Sqrt(na * nb);
    }
}
