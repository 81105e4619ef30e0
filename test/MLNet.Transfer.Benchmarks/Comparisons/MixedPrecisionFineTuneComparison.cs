using MLNet.Transfer.Benchmarks.Quick;
using MLNet.Transfer.Benchmarks.Support;
using MLNet.Transfer.Training;

namespace MLNet.Transfer.Benchmarks.Comparisons;

/// <summary>
/// finetune-bf16-vs-fp32: fine-tuning tokens/s with bf16 mixed precision (<see cref="TrainingPrecision.BFloat16Mixed"/>:
/// bf16 matrix products, fp32 master weights, loss and AdamW state) against fp32, same shapes as finetune-vs-matmul-peak
/// (batch 32 × 64 tokens). Runs interleaved fp32, bf16, bf16, fp32 from fresh copies of the encoder; each side's best or
/// median timed step over both runs. Meaningful where the CPU has bf16 units (the note says whether it has).
/// finetune-bf16-vs-matmul-peak: the bf16 run's GFLOP/s against the fp32 matmul peak of the same process.
/// </summary>
internal sealed class MixedPrecisionFineTuneComparison : IComparison
{
    public const int WarmupSteps = 2, TimedSteps = 4;
    private const int BatchSize = FineTuneComparison.BatchSize, SequenceLength = FineTuneComparison.SequenceLength;

    public string Name => "finetune-bf16-vs-fp32";

    public IEnumerable<ComparisonResult> Run(BenchContext context)
    {
        context.Note($"finetune-bf16: the CPU {(Runtime.CpuFeatures.HasBFloat16Units ? "has" : "has no")} bf16 units (AVX512-BF16/AMX), so TrainingPrecision.Auto means {(Runtime.CpuFeatures.HasBFloat16Units ? "bf16" : "fp32")} here.");
        var texts = FineTuneRun.Texts(context, SequenceLength, BatchSize, WarmupSteps + TimedSteps);
        double peak = MatmulPeak.MeasureGflops(context.Threads);
        var steps = new Dictionary<TrainingPrecision, List<double>> { [TrainingPrecision.Float32] = [], [TrainingPrecision.BFloat16Mixed] = [] };
        double flopsPerToken = 0;
        foreach (var precision in new[] { TrainingPrecision.Float32, TrainingPrecision.BFloat16Mixed, TrainingPrecision.BFloat16Mixed, TrainingPrecision.Float32 })
        {
            var (seconds, flops) = FineTuneRun.Train(texts, FineTuneComparison.Settings() with { Precision = precision });
            flopsPerToken = flops;
            steps[precision].AddRange(seconds.Skip(WarmupSteps));
            context.Log.WriteLine($"  {Name} ({precision}): step times {string.Join(", ", seconds.Select(s => $"{s * 1000:F0}"))} ms");
        }
        double TokensPerSecond(TrainingPrecision p) => BatchSize * SequenceLength / FineTuneRun.Typical(steps[p], context.Measure.UseMedian);
        double bf16 = TokensPerSecond(TrainingPrecision.BFloat16Mixed);
        yield return new ComparisonResult(Name, bf16, TokensPerSecond(TrainingPrecision.Float32), "tokens/s");
        yield return new ComparisonResult("finetune-bf16-vs-matmul-peak", bf16 * flopsPerToken / 1e9, Math.Max(peak, MatmulPeak.MeasureGflops(context.Threads)), "GFLOP/s");
    }
}
