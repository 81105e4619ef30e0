using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using MLNet.Transfer.Benchmarks.Comparisons;
using MLNet.Transfer.Benchmarks.Quick;
using MLNet.Transfer.Benchmarks.Support;
using MLNet.Transfer.Models;
using MLNet.Transfer.Models.Bert;
using MLNet.Transfer.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.Transfer.Benchmarks.Profiling;

/// <summary>
/// --profile-training-ops: the finetune-vs-matmul-peak row's fp32 step (all-MiniLM-L6-v2, binary head, 32 × 64 tokens)
/// op by op. Each GEMM and each piece of elementwise work of the forward and backward is timed alone
/// (<see cref="TrainingOpTimings"/>), as GFLOP/s against the square matmul peak the row uses; the per-op times summed over a
/// step (a modelled step) are set against the step measured in the same process (<see cref="TrainingProfile.Measure"/>),
/// with whole layers and a few alternatives through autograd (<see cref="TrainingVariants"/>). Ratios from one process are
/// what to compare: other load slows every part alike.
/// </summary>
internal static class TrainingOpsProfile
{
    private static readonly JsonSerializerOptions Json = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public static int Run(int threads, bool json)
    {
        using var context = new BenchContext(threads, new MeasureSettings(), Console.Error);
        int batch = FineTuneComparison.BatchSize, tokens = FineTuneComparison.SequenceLength;
        double peakBefore = MatmulPeak.MeasureGflops(threads);
        Console.Error.WriteLine($"matmul peak {peakBefore:F0} GFLOP/s; measuring the step ({batch} × {tokens} tokens, fp32, {threads} thread(s))…");
        var measured = TrainingProfile.Measure(context, batch, tokens, TrainingPrecision.Float32);
        Console.Error.WriteLine("measuring the step again with LibTorch's own dropout…");
        double libTorchDropoutStep = MeasureWithLibTorchDropout(context, batch, tokens);
        var shape = new TrainingShape(batch, tokens, ((BertModel)context.Encoder.Model).Config);
        using var scope = NewDisposeScope();
        using var _ = torch.enable_grad();
        torch.manual_seed(1);
        var trainable = context.Encoder.Model.parameters().Select(p => (Tensor)p).Append(zeros(1, shape.Hidden)).Append(zeros(1)).ToArray();
        var ops = new List<OpTiming>();
        foreach (var part in new Func<IEnumerable<OpTiming>>[]
                 {
                     () => TrainingOpTimings.DenseLayers(shape), () => TrainingOpTimings.AttentionProducts(shape), () => TrainingOpTimings.HeadLayout(shape),
                     () => TrainingOpTimings.ElementwiseWork(shape), () => TrainingOpTimings.EmbeddingsAndLoss(shape, trainable),
                 })
            foreach (var op in part())
            {
                ops.Add(op);
                Console.Error.WriteLine($"  {op.Name} ({op.Pass}): {op.MsPerCall:F3} ms");
            }
        foreach (var (name, ms) in measured.Where(m => m.Name is "clip grad norm" or "optimizer step" or "zero grad" or "batch tensors"))
            ops.Add(new("per step (measured)", name, "step", "", 1, ms));
        var variants = TrainingVariants.WholeLayer(shape).Concat(TrainingVariants.DropoutMasks(shape)).Concat(TrainingVariants.QueryKeyValue(shape)).Concat(TrainingVariants.Attention(shape)).ToList();
        double peak = Math.Max(peakBefore, MatmulPeak.MeasureGflops(threads));
        double squareMedian = SquareMatmulMedianGflops();

        double measuredStep = measured.Sum(m => m.MedianMs);
        double measuredPasses = measured.Where(m => m.Name is "forward + loss" or "backward").Sum(m => m.MedianMs);
        var summary = Summarize(ops, variants, peak, measuredStep, measuredPasses, shape);
        summary.Add(("gemm-vs-square-matmul-median", summary.Single(r => r.Name == "gemm-vs-matmul-peak").Ours, squareMedian, "GFLOP/s"));
        summary.Add(("step-cpudropout-vs-libtorch-dropout", shape.Rows / measuredStep * 1000, shape.Rows / libTorchDropoutStep * 1000, "tokens/s"));
        if (json) WriteJson(ops, variants, summary, peak, measuredStep);
        else WriteMarkdown(ops, variants, summary, peak, peakBefore, measured, measuredStep, shape, threads);
        return 0;
    }

    /// <summary>The step's median ms (all parts) with <c>CpuDropout.UseLibTorch</c>: the masks from LibTorch's serial bernoulli_.</summary>
    private static double MeasureWithLibTorchDropout(BenchContext context, int batch, int tokens)
    {
        CpuDropout.UseLibTorch = true;
        try { return TrainingProfile.Measure(context, batch, tokens, TrainingPrecision.Float32).Sum(p => p.MedianMs); }
        finally { CpuDropout.UseLibTorch = false; }
    }

    /// <summary>The peak's own 1024² matmul timed like every op here (median, not best): the load-robust yardstick.</summary>
    private static double SquareMatmulMedianGflops()
    {
        using var scope = NewDisposeScope();
        var a = randn(1024, 1024);
        var b = randn(1024, 1024);
        return 2.0 * 1024 * 1024 * 1024 / OpClock.MedianMs(() => a.mm(b)) / 1e6;
    }

    /// <summary>Headline figures: (name, ours, reference, unit).</summary>
    private static List<(string Name, double Ours, double Reference, string Unit)> Summarize(
        List<OpTiming> ops, List<OpTiming> variants, double peak, double measuredStep, double measuredPasses, TrainingShape shape)
    {
        double Sum(Func<OpTiming, bool> which) => ops.Where(which).Sum(o => o.MsPerStep);
        bool IsGemm(OpTiming o) => o.FlopsPerCall > 0;
        double flops = ops.Where(IsGemm).Sum(o => o.FlopsPerCall * o.CallsPerStep);
        double gemmMs = Sum(IsGemm), modelledPasses = Sum(o => o.Pass != "step"), modelledStep = Sum(_ => true);
        double layerSum = variants.Where(v => v.Name.StartsWith("one BertLayer", StringComparison.Ordinal)).Sum(v => v.MsPerStep);
        double layerOps = Sum(o => o.Group != "embeddings + loss" && o.Pass != "step");
        return
        [
            ("finetune-vs-matmul-peak (this process)", flops / measuredStep / 1e6, peak, "GFLOP/s"),
            ("modelled-vs-measured-step", modelledStep, measuredStep, "ms"),
            ("modelled-vs-measured-forward-backward", modelledPasses, measuredPasses, "ms"),
            ("layer-ops-vs-autograd-layers", layerOps, layerSum, "ms"),
            ("gemm-vs-matmul-peak", flops / gemmMs / 1e6, peak, "GFLOP/s"),
            ("dense-gemm-vs-matmul-peak", ops.Where(o => o.Group == "GEMM").Sum(o => o.FlopsPerCall * o.CallsPerStep) / Sum(o => o.Group == "GEMM") / 1e6, peak, "GFLOP/s"),
            ("attention-gemm-vs-matmul-peak", ops.Where(o => o.Group == "attention GEMM").Sum(o => o.FlopsPerCall * o.CallsPerStep) / Sum(o => o.Group == "attention GEMM") / 1e6, peak, "GFLOP/s"),
            ("gemm-share-of-measured-step", gemmMs, measuredStep, "ms"),
            ("non-gemm-share-of-measured-step", modelledStep - gemmMs, measuredStep, "ms"),
        ];
    }

    private static void WriteMarkdown(List<OpTiming> ops, List<OpTiming> variants, List<(string Name, double Ours, double Reference, string Unit)> summary,
                                      double peak, double peakBefore, (string Name, double MedianMs)[] measured, double measuredStep, TrainingShape shape, int threads)
    {
        Console.WriteLine($"# fp32 fine-tuning step by op: all-MiniLM-L6-v2 + binary head, {shape.Batch} × {shape.Sequence} tokens, {threads} thread(s)");
        Console.WriteLine();
        Console.WriteLine($"matmul peak (1024² fp32): {peakBefore:F0} GFLOP/s before, {peak:F0} best of before and after (used); ops are medians, so is gemm-vs-square-matmul-median");
        double flops = ops.Where(o => o.FlopsPerCall > 0).Sum(o => o.FlopsPerCall * o.CallsPerStep);
        Console.WriteLine($"GEMM work per step: {flops / 1e9:F1} GFLOP ({flops / shape.Rows / 1e6:F1} MFLOP per token; the row's count without the 384→1 head)");
        Console.WriteLine($"measured step (median of 6): {string.Join(", ", measured.Select(m => $"{m.Name} {m.MedianMs:F1} ms"))}; total {measuredStep:F1} ms");
        Console.WriteLine();
        Table(ops, peak, measuredStep);
        Console.WriteLine();
        Console.WriteLine("By group (ms per step, share of the measured step):");
        foreach (var group in ops.GroupBy(o => (o.Group, o.Pass)))
            Console.WriteLine($"  {group.Key.Group,-22} {group.Key.Pass,-9} {group.Sum(o => o.MsPerStep),9:F1} ms  {group.Sum(o => o.MsPerStep) / measuredStep,6:P1}");
        Console.WriteLine();
        Console.WriteLine("| Summary | Ours | Reference | Unit | Ratio |");
        Console.WriteLine("|---|---:|---:|---|---:|");
        foreach (var (name, ours, reference, unit) in summary)
            Console.WriteLine($"| {name} | {ours:G4} | {reference:G4} | {unit} | {ours / reference:F3} |");
        Console.WriteLine();
        Console.WriteLine("Through autograd (whole pieces, alternatives):");
        Console.WriteLine();
        Table(variants, peak, measuredStep);
    }

    private static void Table(List<OpTiming> rows, double peak, double measuredStep)
    {
        Console.WriteLine("| Group | Op | Pass | Shape | Calls/step | ms/call | ms/step | GFLOP/s | of peak | of step |");
        Console.WriteLine("|---|---|---|---|---:|---:|---:|---:|---:|---:|");
        foreach (var o in rows)
        {
            string rate = double.IsNaN(o.Gflops) ? "" : o.Gflops.ToString("F0", CultureInfo.InvariantCulture);
            string ofPeak = double.IsNaN(o.Gflops) ? "" : (o.Gflops / peak).ToString("F2", CultureInfo.InvariantCulture);
            Console.WriteLine($"| {o.Group} | {o.Name} | {o.Pass} | {o.Shape} | {o.CallsPerStep} | {o.MsPerCall:F3} | {o.MsPerStep:F1} | {rate} | {ofPeak} | {o.MsPerStep / measuredStep:P1} |");
        }
    }

    private static void WriteJson(List<OpTiming> ops, List<OpTiming> variants, List<(string Name, double Ours, double Reference, string Unit)> summary, double peak, double measuredStep)
    {
        foreach (var o in ops.Concat(variants))
            Console.WriteLine(JsonSerializer.Serialize(new OpRow(o.Group, o.Name, o.Pass, o.Shape, o.CallsPerStep, Math.Round(o.MsPerCall, 4), Math.Round(o.MsPerStep, 3),
                                                                 Math.Round(o.Gflops, 1), Math.Round(o.Gflops / peak, 3), Math.Round(o.MsPerStep / measuredStep, 4)), Json));
        foreach (var (name, ours, reference, unit) in summary)
            Console.WriteLine(JsonSerializer.Serialize(new SummaryRow(name, Math.Round(ours, 3), Math.Round(reference, 3), unit, Math.Round(ours / reference, 3)), Json));
    }

    private sealed record OpRow(string Group, string Name, string Pass, string Shape, int CallsPerStep, double MsPerCall, double MsPerStep, double Gflops, double OfPeak, double OfStep);

    private sealed record SummaryRow(string Name, double Ours, double Reference, string Unit, double Ratio);
}
