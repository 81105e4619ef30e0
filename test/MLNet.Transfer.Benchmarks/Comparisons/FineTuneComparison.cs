using MLNet.Transfer.Benchmarks.Quick;
using MLNet.Transfer.Benchmarks.Support;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.Models;
using MLNet.Transfer.Models.Heads;
using MLNet.Transfer.Training;

namespace MLNet.Transfer.Benchmarks.Comparisons;

/// <summary>
/// finetune-vs-matmul-peak: <see cref="FineTuner"/> on all-MiniLM-L6-v2 with a binary head, batch 32 × 64 tokens
/// (AdamW, clipping, forward + backward + step), as achieved GFLOP/s against the fp32 matmul peak measured in the
/// same process (best of before and after training). FLOPs per token = 6 × matmul parameters (encoder and head
/// weight matrices; embedding lookups do no matmul work) + 12 × layers × seq × hidden for attention scores and
/// context (forward + backward). finetune-tokens-per-second: the same run in tokens/s against a 1,500 tokens/s target.
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
        var (stepSeconds, flopsPerToken) = Train(context);
        double peakAfter = MatmulPeak.MeasureGflops(context.Threads);
        double peak = Math.Max(peakBefore, peakAfter);

        var sorted = stepSeconds.Order().ToArray();
        double median = sorted[sorted.Length / 2], best = sorted[0];
        double seconds = context.Measure.UseMedian ? median : best;
        double tokensPerSecond = BatchSize * SequenceLength / seconds;
        double gflops = tokensPerSecond * flopsPerToken / 1e9;
        context.Log.WriteLine($"  {Name}: step times {string.Join(", ", stepSeconds.Select(s => $"{s * 1000:F0}"))} ms; " +
                              $"median {BatchSize * SequenceLength / median:F0} tokens/s; {flopsPerToken / 1e6:F1} MFLOP/token; " +
                              $"matmul peak {peakBefore:F0} before, {peakAfter:F0} after");
        yield return new ComparisonResult(Name, gflops, peak, "GFLOP/s");
        yield return new ComparisonResult("finetune-tokens-per-second", tokensPerSecond, TargetTokensPerSecond, "tokens/s");
    }

    private static (List<double> StepSeconds, double FlopsPerToken) Train(BenchContext context)
    {
        using var encoder = PretrainedEncoder.Load(BenchContext.ModelName); // fine-tuning changes weights: not the shared one
        int steps = WarmupSteps + TimedSteps;
        var (items, _, _) = FixedLengthTexts.Build(encoder.Tokenizer, context.Corpus.Sentences, SequenceLength, BatchSize * steps);
        var examples = items.Select((item, i) => new TrainingExample(item, [[i % 2]])).ToArray();

        using var model = new TransferModel(encoder.Model, [new TaskSpec("task", TaskKind.Binary, 1)], PoolingMode.Mean, headDropout: 0.1);
        var settings = new FineTuneSettings { BatchSize = BatchSize, Epochs = 1, MaxTokens = SequenceLength };
        var clock = new StepClock();
        new FineTuner(model, settings, encoder.Tokenizer.PadId).Train(examples, progress: clock);

        long matmulParameters = model.named_parameters()
            .Where(p => p.parameter.dim() == 2 && !p.name.Contains("embeddings", StringComparison.Ordinal))
            .Sum(p => p.parameter.numel());
        double attention = 12.0 * encoder.LayerCount * SequenceLength * encoder.HiddenSize;
        return (clock.StepSeconds.Skip(WarmupSteps).ToList(), 6.0 * matmulParameters + attention);
    }
}
