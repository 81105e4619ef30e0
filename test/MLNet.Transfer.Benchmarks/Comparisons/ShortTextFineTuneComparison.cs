using MLNet.Transfer.Benchmarks.Quick;
using MLNet.Transfer.Benchmarks.Support;
using MLNet.Transfer.Training;

namespace MLNet.Transfer.Benchmarks.Comparisons;

/// <summary>
/// finetune-short-texts-vs-matmul-peak: fine-tuning on SST-2-like phrases of exactly <see cref="SequenceLength"/> tokens, fp32,
/// batch 32, max tokens 64 and the opt-in token budget of 32 × 64 (<see cref="FineTuneSettings.TokensPerBatch"/>: 128 phrases
/// per step, the 4 × batch cap), as achieved GFLOP/s against the
/// fp32 matmul peak measured in the same process, as finetune-vs-matmul-peak. finetune-short-texts-budget-vs-fixed: the same
/// phrases' tokens/s with the budget against fixed batches of 32 (runs interleaved budget, fixed, fixed, budget; each side's
/// best or median timed step).
/// </summary>
internal sealed class ShortTextFineTuneComparison : IComparison
{
    public const int BatchSize = 32, MaxTokens = 64, SequenceLength = 13, WarmupSteps = 2, TimedSteps = 4;

    public string Name => "finetune-short-texts-vs-matmul-peak";

    public IEnumerable<ComparisonResult> Run(BenchContext context)
    {
        var budget = FineTuneComparison.Settings() with { TokensPerBatch = BatchSize * MaxTokens };
        int budgetRows = Math.Min(budget.TokensPerBatch / SequenceLength, BatchSize * FineTuneSettings.MaxRowsPerBudgetBatch);
        var budgetTexts = FineTuneRun.Texts(context, SequenceLength, budgetRows, WarmupSteps + TimedSteps);
        var fixedTexts = budgetTexts[..(BatchSize * (WarmupSteps + TimedSteps))];
        double peakBefore = MatmulPeak.MeasureGflops(context.Threads);
        var steps = new Dictionary<string, List<double>> { ["budget"] = [], ["fixed"] = [] };
        double flopsPerToken = 0;
        foreach (string side in new[] { "budget", "fixed", "fixed", "budget" })
        {
            var (seconds, flops) = side == "budget" ? FineTuneRun.Train(budgetTexts, budget) : FineTuneRun.Train(fixedTexts, FineTuneComparison.Settings());
            flopsPerToken = flops;
            steps[side].AddRange(seconds.Skip(WarmupSteps));
            context.Log.WriteLine($"  {Name} ({side}, {(side == "budget" ? budgetRows : BatchSize)} × {SequenceLength} tokens): step times {string.Join(", ", seconds.Select(s => $"{s * 1000:F0}"))} ms");
        }
        double peak = Math.Max(peakBefore, MatmulPeak.MeasureGflops(context.Threads));
        double budgetTokensPerSecond = budgetRows * SequenceLength / FineTuneRun.Typical(steps["budget"], context.Measure.UseMedian);
        double fixedTokensPerSecond = BatchSize * SequenceLength / FineTuneRun.Typical(steps["fixed"], context.Measure.UseMedian);
        context.Log.WriteLine($"  {Name}: {flopsPerToken / 1e6:F1} MFLOP/token; matmul peak {peak:F0} GFLOP/s");
        yield return new ComparisonResult(Name, budgetTokensPerSecond * flopsPerToken / 1e9, peak, "GFLOP/s");
        yield return new ComparisonResult("finetune-short-texts-budget-vs-fixed", budgetTokensPerSecond, fixedTokensPerSecond, "tokens/s");
    }
}
