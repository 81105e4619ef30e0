using System.Diagnostics;
using MLNet.Transfer.Benchmarks.Quick;
using MLNet.Transfer.Benchmarks.Support;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.Models;
using MLNet.Transfer.Models.Heads;
using MLNet.Transfer.Text;
using MLNet.Transfer.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.Transfer.Benchmarks.Profiling;

/// <summary>
/// --profile-training: where one fine-tuning step (all-MiniLM-L6-v2, binary head, AdamW, clipping) spends its time —
/// batching, forward + loss, backward, clipping, the optimizer step, zeroing gradients — at 32 × 13 tokens (SST-2-like
/// phrases), a 13-token batch filling a 32 × 64 token budget, and 32 × 64, in fp32 and with bf16 mixed precision.
/// Medians over repeated steps; run it on a quiet machine.
/// </summary>
internal static class TrainingProfile
{
    private const int Warmup = 2, Timed = 6;

    public static int Run(int threads)
    {
        using var context = new BenchContext(threads, new MeasureSettings(), Console.Error);
        Console.WriteLine($"matmul peak: {MatmulPeak.MeasureGflops(threads):F0} GFLOP/s on {threads} threads (load check)");
        foreach (var precision in new[] { TrainingPrecision.Float32, TrainingPrecision.BFloat16Mixed })
            foreach (var (rows, tokens) in new[] { (32, 13), (2048 / 13, 13), (32, 64) })
                Profile(context, rows, tokens, precision);
        return 0;
    }

    private static void Profile(BenchContext context, int rows, int tokens, TrainingPrecision precision)
    {
        var parts = Measure(context, rows, tokens, precision);
        double total = parts.Sum(p => p.MedianMs);
        Console.WriteLine();
        Console.WriteLine($"## {rows} × {tokens} tokens, {precision}, {torch.get_num_threads()} thread(s): {total:F0} ms per step, {rows * tokens / total * 1000:F0} tokens/s");
        foreach (var (name, ms) in parts)
            Console.WriteLine($"  {name,-20} {ms,8:F1} ms  {ms / total,6:P1}");
    }

    /// <summary>
    /// Median milliseconds of each part of a fine-tuning step (batch tensors, forward + loss, backward, clipping, optimizer
    /// step, zeroing gradients) over <see cref="Timed"/> steps of <paramref name="rows"/> texts of <paramref name="tokens"/> tokens.
    /// </summary>
    public static (string Name, double MedianMs)[] Measure(BenchContext context, int rows, int tokens, TrainingPrecision precision)
    {
        using var encoder = PretrainedEncoder.Load(BenchContext.ModelName);
        var items = FineTuneRun.Texts(context, tokens, rows, steps: 1);
        using var model = new TransferModel(encoder.Model, [new TaskSpec("task", TaskKind.Binary, 1)], PoolingMode.Mean, headDropout: 0.1);
        var groups = ParameterGroups.Build(model, 1e-4, 1, 0.01);
        using var optimizer = new ScalarSafeAdamW(groups, 1e-4);
        var task = model.Tasks[0];
        var targets = items.Select((_, i) => (float[]?)[i % 2]).ToArray();
        string[] names = ["batch tensors", "forward + loss", "backward", "clip grad norm", "optimizer step", "zero grad"];
        var samples = names.Select(_ => new List<double>()).ToArray();
        model.train();
        var trainable = model.parameters().Where(p => p.requires_grad).ToArray();
        using var mixed = precision == TrainingPrecision.BFloat16Mixed ? BFloat16Autocast.Enter() : null;
        for (int step = 0; step < Warmup + Timed; step++)
        {
            using var scope = NewDisposeScope();
            var times = new double[names.Length];
            long start = Stopwatch.GetTimestamp();
            void Lap(int part)
            {
                long now = Stopwatch.GetTimestamp();
                times[part] = Stopwatch.GetElapsedTime(start, now).TotalMilliseconds;
                start = now;
            }
            using var batch = TokenBatch.Create(items, encoder.Tokenizer.PadId, CPU);
            Lap(0);
            var logits = model.Forward(batch.InputIds, batch.TokenTypeIds, batch.AttentionMask);
            var loss = TaskLosses.Compute(task, logits[task.Name], targets)!;
            _ = loss.item<float>();
            Lap(1);
            loss.backward();
            Lap(2);
            nn.utils.clip_grad_norm_(trainable, 1.0);
            Lap(3);
            optimizer.step();
            Lap(4);
            optimizer.zero_grad();
            Lap(5);
            if (step >= Warmup)
                for (int p = 0; p < names.Length; p++) samples[p].Add(times[p]);
        }
        return names.Select((name, p) => (name, Median(samples[p]))).ToArray();
    }

    private static double Median(List<double> values) => FineTuneRun.Typical(values, useMedian: true);
}
