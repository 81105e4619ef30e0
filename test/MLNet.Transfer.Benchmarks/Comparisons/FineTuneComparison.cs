using MLNet.Transfer.Benchmarks.Quick;
using MLNet.Transfer.Benchmarks.Support;
using MLNet.Transfer.Training;

namespace MLNet.Transfer.Benchmarks.Comparisons;

/// <summary>
/// finetune-vs-matmul-peak: <see cref="FineTuner"/> on all-MiniLM-L6-v2 with a binary head, batch 32 × 64 tokens, fp32
/// (AdamW, clipping, forward + backward + step), as achieved GFLOP/s against the fp32 matmul peak measured in the
/// same process (best of before and after training); FLOPs per token as in <see cref="FineTuneRun.FlopsPerToken"/>.
/// finetune-tokens-per-second: the same run in tokens/s against a 1,500 tokens/s target.
/// Step times come from the progress reports; the first <see cref="WarmupSteps"/> steps are not timed.
/// </summary>
internal sealed class FineTuneComparison : IComparison
{
    public const int BatchSize = 32, SequenceLength = 64, WarmupSteps = 2, TimedSteps = 6;
    public const double TargetTokensPerSecond = 1500;

    public string Name => "finetune-vs-matmul-peak";

    public IEnumerable<ComparisonResult> Run(BenchContext context)
    {
        double peakBefore = MatmulPeak.MeasureGflops(context.Threads);
        var texts = FineTuneRun.Texts(context, SequenceLength, BatchSize, WarmupSteps + TimedSteps);
        var (stepSeconds, flopsPerToken) = FineTuneRun.Train(texts, Settings());
        double peakAfter = MatmulPeak.MeasureGflops(context.Threads);
        double peak = Math.Max(peakBefore, peakAfter);

        var timed = stepSeconds.Skip(WarmupSteps).ToList();
        double median = FineTuneRun.Typical(timed, useMedian: true);
        double tokensPerSecond = BatchSize * SequenceLength / FineTuneRun.Typical(timed, context.Measure.UseMedian);
        double gflops = tokensPerSecond * flopsPerToken / 1e9;
        context.Log.WriteLine($"  {Name}: step times {string.Join(", ", stepSeconds.Select(s => $"{s * 1000:F0}"))} ms; " +
                              $"median {BatchSize * SequenceLength / median:F0} tokens/s; {flopsPerToken / 1e6:F1} MFLOP/token; " +
                              $"matmul peak {peakBefore:F0} before, {peakAfter:F0} after");
        yield return new ComparisonResult(Name, gflops, peak, "GFLOP/s");
        yield return new ComparisonResult("finetune-tokens-per-second", tokensPerSecond, TargetTokensPerSecond, "tokens/s");
    }

    /// <summary>The row's settings: fixed batches of 32 × 64 tokens in fp32.</summary>
    public static FineTuneSettings Settings() =>
        new() { BatchSize = BatchSize, MaxTokens = SequenceLength, Precision = TrainingPrecision.Float32 };
}
