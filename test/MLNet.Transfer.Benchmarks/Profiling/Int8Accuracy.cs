using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transfer.Benchmarks.Quick;
using MLNet.Transfer.Benchmarks.Support;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.Inference;
using MLNet.Transfer.MLNetIntegration;

namespace MLNet.Transfer.Benchmarks.Profiling;

/// <summary>
/// --int8-accuracy: what <see cref="InferenceEngine.OnnxRuntimeInt8"/> costs in accuracy (figures independent of load).
/// (1) all-MiniLM-L6-v2 sentence vectors (mean pooling, normalised, batch 32) of the first 2,000 corpus sentences, int8 vs
/// fp32 ONNX Runtime: mean, 1st percentile and smallest cosine, and how often the nearest neighbour (among the 2,000) stays
/// the same. (2) a binary classifier fine-tuned from MiniLM on UCI yelp + amazon (2,000 rows, 2 epochs, 64 tokens) and
/// scored on UCI imdb (1,000 rows, another domain): accuracy on fp32 ONNX Runtime and on int8.
/// </summary>
internal static class Int8Accuracy
{
    private sealed class Review
    {
        [LoadColumn(0)] public bool Label { get; set; }
        [LoadColumn(1)] public string Text { get; set; } = "";
    }

    public static int Run(int threads)
    {
        using var context = new BenchContext(threads, new MeasureSettings(), Console.Error);
        Console.WriteLine($"int8 weights: {(MLNet.Transfer.Onnx.Int8WeightQuantizer.ReducedRange ? "7-bit (no VNNI)" : "8-bit (VNNI)")}");
        Embeddings(context);
        Classifier(context);
        return 0;
    }

    private static void Embeddings(BenchContext context)
    {
        var texts = context.Corpus.Sentences.Take(2000).ToArray();
        var settings = new EmbeddingSettings { Normalize = true };
        var fp32 = new EngineEmbedder(context.Encoder, settings, InferenceEngine.OnnxRuntime).Embedder.Embed(texts);
        var int8 = new EngineEmbedder(context.Encoder, settings, InferenceEngine.OnnxRuntimeInt8).Embedder.Embed(texts);
        var cosines = fp32.Zip(int8, (a, b) => Vectors.Cosine(a, b)).Order().ToArray();
        int sameNeighbour = Enumerable.Range(0, texts.Length).Count(i => Nearest(fp32, i) == Nearest(int8, i));
        Console.WriteLine($"embeddings ({texts.Length} sentences): cosine int8 vs fp32 mean {cosines.Average():F5}, p1 {cosines[texts.Length / 100]:F5}, " +
                          $"min {cosines[0]:F5}; nearest neighbour unchanged for {100.0 * sameNeighbour / texts.Length:F1}%");
    }

    private static int Nearest(float[][] vectors, int i)
    {
        int best = -1;
        double bestScore = double.NegativeInfinity;
        for (int j = 0; j < vectors.Length; j++)
        {
            if (j == i) continue;
            double score = Vectors.Cosine(vectors[i], vectors[j]);
            if (score > bestScore) (best, bestScore) = (j, score);
        }
        return best;
    }

    private static void Classifier(BenchContext context)
    {
        var mlContext = new MLContext(seed: 1);
        string folder = Path.Combine(Corpus.FindDataDirectory() ?? throw new InvalidOperationException("../shared/data not found"), "sentiment-uci");
        IEnumerable<Review> Read(string file) => mlContext.Data.CreateEnumerable<Review>(
            mlContext.Data.LoadFromTextFile<Review>(Path.Combine(folder, file), hasHeader: true, separatorChar: '\t', allowQuoting: false), reuseRowObject: false).ToList();
        var train = mlContext.Data.LoadFromEnumerable(Read("yelp.tsv").Concat(Read("amazon.tsv")).ToList());
        var test = mlContext.Data.LoadFromEnumerable(Read("imdb.tsv").ToList());
        var model = mlContext.BinaryClassification.Trainers.FineTuneTransformer(new FineTuneTransformerOptions
        {
            Encoder = context.Encoder.Clone(), LabelColumnName = "Label", Epochs = 2, MaxTokens = 64, BatchSize = 32, Seed = 1,
        }).Fit(train);
        foreach (var engine in new[] { InferenceEngine.OnnxRuntime, InferenceEngine.OnnxRuntimeInt8 })
        {
            var metrics = mlContext.BinaryClassification.Evaluate(model.WithInferenceEngine(engine).Transform(test), "Label");
            Console.WriteLine($"classifier fine-tuned on UCI yelp+amazon, scored on UCI imdb (1,000 rows): {engine} accuracy {100 * metrics.Accuracy:F1}%, AUC {metrics.AreaUnderRocCurve:F4}");
        }
    }
}
