using MLNet.Transfer.Onnx;
using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Onnx;
using MLNet.Transfer.Benchmarks.Quick;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.MLNetIntegration;
using MLNet.Transfer.Text;

namespace MLNet.Transfer.Benchmarks.Comparisons;

/// <summary>
/// mlnet-pipeline-10k-rows-vs-applyonnxmodel: an ML.NET pipeline end to end — IDataView of text → contextual embeddings
/// (mean pooling, batch 32) → a trained logistic regression → scored rows, consumed by a cursor — in rows/s. The reference
/// is what ML.NET offers without this library: the same encoder exported to ONNX (<see cref="EncoderOnnxExport"/>), run by
/// <c>ApplyOnnxModel</c> (one row per call, every row padded to <see cref="Tokens"/> tokens, since ApplyOnnxModel needs
/// fixed shapes), fed by our tokenizer in a CustomMapping, then the same trained regression. Both keep
/// <see cref="Tokens"/> tokens per text. The reference scores the first <see cref="ReferenceRows"/> rows only, to keep
/// --quick short. predictionengine-latency-p50/p99: single-row <c>PredictionEngine.Predict</c> of the two pipelines,
/// interleaved.
/// </summary>
internal sealed class PipelineComparison : IComparison
{
    public const int Rows = 10_000, ReferenceRows = 1_000, TrainRows = 256, Tokens = 64, LatencyCalls = 300, Hidden = 384; // BenchContext.ModelName (all-MiniLM-L6-v2) has 384 dimensions

    public string Name => "mlnet-pipeline-10k-rows-vs-applyonnxmodel";

    public sealed class TextRow
    {
        public string Text { get; set; } = "";
        public bool Label { get; set; }
    }

    public sealed class TokenRow
    {
        [VectorType(Tokens)] public long[] input_ids { get; set; } = new long[Tokens];
        [VectorType(Tokens)] public long[] attention_mask { get; set; } = new long[Tokens];
        [VectorType(Tokens)] public long[] token_type_ids { get; set; } = new long[Tokens];
    }

    /// <summary>ApplyOnnxModel's output [1, width], as ML.NET types it.</summary>
    public sealed class EmbeddingRow
    {
        [VectorType(1, Hidden)] public float[] sentence_embedding { get; set; } = [];
    }

    public sealed class FeatureRow
    {
        [VectorType(Hidden)] public float[] Features { get; set; } = [];
    }

    public sealed class Prediction
    {
        public bool PredictedLabel { get; set; }
        public float Score { get; set; }
    }

    public IEnumerable<ComparisonResult> Run(BenchContext context)
    {
        var mlContext = new MLContext(seed: 1);
        var encoder = context.Encoder;
        var sentences = context.Corpus.Sentences;
        var rows = Enumerable.Range(0, Rows).Select(i => new TextRow { Text = sentences[i % sentences.Count], Label = i % 2 == 0 }).ToList();
        var data = mlContext.Data.LoadFromEnumerable(rows);
        var referenceData = mlContext.Data.TakeRows(data, ReferenceRows);

        // Ours: embeddings + logistic regression, trained on a few hundred rows (labels are arbitrary: this measures speed).
        var embeddings = mlContext.Transforms.Text.ApplyContextualEmbeddings(new ContextualEmbeddingOptions
        {
            Encoder = encoder, InputColumnName = "Text", OutputColumnName = "Features", MaxTokens = Tokens, BatchSize = 32,
        });
        var ours = embeddings.Append(mlContext.BinaryClassification.Trainers.LbfgsLogisticRegression(featureColumnName: "Features"))
            .Fit(mlContext.Data.TakeRows(data, TrainRows));
        var regression = ((IEnumerable<ITransformer>)ours).Last();

        // Reference: tokenize in a CustomMapping, ApplyOnnxModel on the exported encoder, the same regression.
        string onnxPath = Path.Combine(Path.GetTempPath(), $"mlnet-transfer-bench-{Environment.ProcessId}.onnx");
        encoder.SaveAsOnnx(onnxPath, new EmbeddingSettings { MaxTokens = Tokens });
        try
        {
            var tokenizer = encoder.Tokenizer;
            var onnxOptions = new OnnxOptions
            {
                ModelFile = onnxPath, OutputColumns = ["sentence_embedding"], InputColumns = ["input_ids", "attention_mask", "token_type_ids"],
                ShapeDictionary = new Dictionary<string, int[]> { ["input_ids"] = [1, Tokens], ["attention_mask"] = [1, Tokens], ["token_type_ids"] = [1, Tokens] },
                IntraOpNumThreads = context.Threads, InterOpNumThreads = 1, RecursionLimit = 100,
            };
            var reference = mlContext.Transforms.CustomMapping<TextRow, TokenRow>((input, output) => Tokenize(tokenizer, input.Text, output), contractName: null)
                .Append(mlContext.Transforms.ApplyOnnxModel(onnxOptions))
                .Append(mlContext.Transforms.CustomMapping<EmbeddingRow, FeatureRow>((input, output) => output.Features = input.sentence_embedding, contractName: null))
                .Fit(referenceData)
                .Append(regression);

            double difference = MaxScoreDifference(ours.Transform(mlContext.Data.TakeRows(data, 64)), reference.Transform(mlContext.Data.TakeRows(data, 64)));
            if (difference > 1e-3) context.Note($"{Name}: scores differ from the ApplyOnnxModel pipeline by up to {difference:G3}.");

            double oursRate = ScoreRows(ours, data, Rows);
            double referenceRate = ScoreRows(reference, referenceData, ReferenceRows);
            context.Log.WriteLine($"  {Name}: score parity max|Δ| {difference:G2}; ours {Rows} rows, ApplyOnnxModel {ReferenceRows} rows (one timed pass each)");
            yield return new ComparisonResult(Name, oursRate, referenceRate, "rows/s");

            var (oursLatency, referenceLatency) = Latencies(mlContext, ours, reference, sentences);
            context.Log.WriteLine($"  predictionengine: p50 ours {Percentile(oursLatency, 0.5):F2} ms, ApplyOnnxModel {Percentile(referenceLatency, 0.5):F2} ms; " +
                                  $"p99 ours {Percentile(oursLatency, 0.99):F2} ms, ApplyOnnxModel {Percentile(referenceLatency, 0.99):F2} ms");
            yield return new ComparisonResult("predictionengine-latency-p50", Percentile(oursLatency, 0.5), Percentile(referenceLatency, 0.5), "ms", LowerIsBetter: true);
            yield return new ComparisonResult("predictionengine-latency-p99", Percentile(oursLatency, 0.99), Percentile(referenceLatency, 0.99), "ms", LowerIsBetter: true);
        }
        finally
        {
            File.Delete(onnxPath);
        }
    }

    private static void Tokenize(BertWordPieceTokenizer tokenizer, string text, TokenRow output)
    {
        var encoded = tokenizer.Encode(text, Tokens);
        Array.Fill(output.input_ids, tokenizer.PadId);
        Array.Clear(output.attention_mask);
        Array.Clear(output.token_type_ids);
        for (int t = 0; t < encoded.Length; t++)
        {
            output.input_ids[t] = encoded.InputIds[t];
            output.token_type_ids[t] = encoded.TokenTypeIds[t];
            output.attention_mask[t] = 1;
        }
    }

    /// <summary>Scores every row through a cursor (warm-up on the first rows first) and returns rows/s.</summary>
    private static double ScoreRows(ITransformer model, IDataView data, int rows)
    {
        var mlContext = new MLContext();
        Consume(model.Transform(mlContext.Data.TakeRows(data, 64)));
        var clock = Stopwatch.StartNew();
        long seen = Consume(model.Transform(data));
        if (seen != rows) throw new InvalidOperationException($"Expected {rows} scored rows, got {seen}.");
        return rows / clock.Elapsed.TotalSeconds;
    }

    private static long Consume(IDataView scored)
    {
        var column = scored.Schema["Score"];
        using var cursor = scored.GetRowCursor([column]);
        var getter = cursor.GetGetter<float>(column);
        float score = 0;
        long count = 0;
        while (cursor.MoveNext())
        {
            getter(ref score);
            count++;
        }
        return count;
    }

    private static double MaxScoreDifference(IDataView a, IDataView b) =>
        a.GetColumn<float>("Score").Zip(b.GetColumn<float>("Score")).Max(p => Math.Abs(p.First - p.Second));

    /// <summary>Single-row Predict latencies (ms) of both pipelines, alternating calls on the same texts.</summary>
    private static (List<double> Ours, List<double> Reference) Latencies(MLContext mlContext, ITransformer ours, ITransformer reference, IReadOnlyList<string> sentences)
    {
        using var oursEngine = mlContext.Model.CreatePredictionEngine<TextRow, Prediction>(ours);
        using var referenceEngine = mlContext.Model.CreatePredictionEngine<TextRow, Prediction>(reference);
        var oursMs = new List<double>();
        var referenceMs = new List<double>();
        for (int i = -10; i < LatencyCalls; i++)
        {
            var row = new TextRow { Text = sentences[(i + 10) * 7 % sentences.Count] };
            foreach (var (engine, list) in i % 2 == 0 ? new[] { (oursEngine, oursMs), (referenceEngine, referenceMs) } : [(referenceEngine, referenceMs), (oursEngine, oursMs)])
            {
                long start = Stopwatch.GetTimestamp();
                engine.Predict(row);
                if (i >= 0) list.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
        }
        return (oursMs, referenceMs);
    }

    private static double Percentile(List<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        return sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
    }
}
