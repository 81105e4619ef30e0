using System.Diagnostics;
using Microsoft.ML;
using MLNet.Transfer.Benchmarks.Quick;
using MLNet.Transfer.Benchmarks.Support;
using MLNet.Transfer.MLNetIntegration;

namespace MLNet.Transfer.Benchmarks.Comparisons;

/// <summary>
/// embed-streamed-100k-rss-vs-10k: peak resident memory (VmHWM, reset when the stream starts) while an ML.NET cursor
/// embeds 100,000 short sentences streamed from a TSV file on disk (LoadFromTextFile → ApplyContextualEmbeddings, batch
/// 32), after 100k rows against after the first 10k: memory must stay flat (target: within 10%, Ratio ≥ 0.91).
/// embed-streamed-100k-rows-per-second: throughput over all 100k rows against the first 10k (no slow-down over time).
/// Long (minutes): runs only with --long or when named by --filter.
/// </summary>
internal sealed class StreamingMemoryComparison : IComparison
{
    public const int Rows = 100_000, Checkpoint = 10_000, MaxTokens = 16;

    public string Name => "embed-streamed-100k-rss-vs-10k";

    public bool IsLong => true;

    private sealed class TextRow
    {
        [Microsoft.ML.Data.LoadColumn(0)] public string Text { get; set; } = "";
    }

    public IEnumerable<ComparisonResult> Run(BenchContext context)
    {
        var tokenizer = context.Encoder.Tokenizer;
        var shortSentences = context.Corpus.Sentences
            .Where(s => s.IndexOfAny(['\t', '\n', '\r', '"']) < 0 && tokenizer.Encode(s, MaxTokens + 1).Length <= MaxTokens)
            .ToArray();
        string path = Path.Combine(Path.GetTempPath(), $"mlnet-transfer-bench-{Environment.ProcessId}.tsv");
        using (var writer = new StreamWriter(path))
        {
            writer.WriteLine("Text");
            for (int i = 0; i < Rows; i++) writer.WriteLine(shortSentences[i % shortSentences.Length]);
        }
        try
        {
            var mlContext = new MLContext(seed: 1);
            var data = mlContext.Data.LoadFromTextFile<TextRow>(path, separatorChar: '\t', hasHeader: true, allowQuoting: false);
            var model = mlContext.Transforms.Text.ApplyContextualEmbeddings(new ContextualEmbeddingOptions
            {
                Encoder = context.Encoder, InputColumnName = "Text", OutputColumnName = "Features", MaxTokens = MaxTokens, BatchSize = 32,
            }).Fit(data);
            var embedded = model.Transform(data);
            var column = embedded.Schema["Features"];

            GC.Collect();
            ProcessMemory.ResetPeak();
            var (startRss, _) = ProcessMemory.Read();
            double firstSeconds = 0, peakAtCheckpoint = 0;
            var clock = Stopwatch.StartNew();
            using (var cursor = embedded.GetRowCursor([column]))
            {
                var getter = cursor.GetGetter<Microsoft.ML.Data.VBuffer<float>>(column);
                var vector = default(Microsoft.ML.Data.VBuffer<float>);
                long row = 0;
                while (cursor.MoveNext())
                {
                    getter(ref vector);
                    if (++row == Checkpoint)
                    {
                        firstSeconds = clock.Elapsed.TotalSeconds;
                        peakAtCheckpoint = ProcessMemory.Read().Peak;
                        context.Log.WriteLine($"  {Name}: {Checkpoint:N0} rows in {firstSeconds:F0} s, peak RSS {peakAtCheckpoint:F0} MB");
                    }
                }
                if (row != Rows) throw new InvalidOperationException($"Expected {Rows} rows, got {row}.");
            }
            double totalSeconds = clock.Elapsed.TotalSeconds;
            var (endRss, peakAtEnd) = ProcessMemory.Read();
            context.Log.WriteLine($"  {Name}: {shortSentences.Length} distinct sentences of ≤ {MaxTokens} tokens; RSS at start {startRss:F0} MB, " +
                                  $"peak after {Checkpoint:N0} rows {peakAtCheckpoint:F0} MB, after {Rows:N0} {peakAtEnd:F0} MB, now {endRss:F0} MB");
            yield return new ComparisonResult(Name, peakAtEnd, peakAtCheckpoint, "MB", LowerIsBetter: true);
            yield return new ComparisonResult("embed-streamed-100k-rows-per-second", Rows / totalSeconds, Checkpoint / firstSeconds, "rows/s");
        }
        finally
        {
            File.Delete(path);
        }
    }
}
