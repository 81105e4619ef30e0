using TorchSharp;
using MLNet.Transfer.Models;
using MLNet.Transfer.Models.Bert;
using static TorchSharp.torch;

namespace MLNet.Transfer.Benchmarks.Profiling;

/// <summary>
/// Forward and backward through autograd of larger pieces of a training step: one whole encoder layer (a check on the
/// per-op sum of <see cref="TrainingOpTimings"/>), and alternatives for two of its parts — three Q/K/V projections or one
/// fused 384→1152 projection over the concatenated weights, explicit attention or LibTorch's scaled_dot_product_attention
/// (which on the CPU takes its math path when dropout is on).
/// </summary>
internal static class TrainingVariants
{
    private const string Group = "autograd", Forward = "forward", Backward = "backward";

    /// <summary>One <see cref="BertLayer"/> in training mode (dropout on, explicit attention), forward and backward.</summary>
    public static IEnumerable<OpTiming> WholeLayer(TrainingShape s)
    {
        using var layer = new BertLayer(s.Config);
        layer.train();
        var parameters = layer.parameters().ToArray();
        var x = randn(s.Batch, s.Sequence, s.Hidden);
        var dy = randn(s.Batch, s.Sequence, s.Hidden);
        string shape = s.RowsBy(s.Hidden);
        yield return new(Group, "one BertLayer", Forward, shape, s.Layers, OpClock.MedianMs(() =>
        {
            var leaf = x.detach().requires_grad_(true);
            return () => layer.call(leaf, null);
        }));
        yield return new(Group, "one BertLayer (dx and every parameter's gradient)", Backward, shape, s.Layers, OpClock.MedianMs(() =>
        {
            var leaf = x.detach().requires_grad_(true);
            var y = layer.call(leaf, null);
            return () => torch.autograd.grad([y], [leaf, .. parameters], [dy]);
        }));
    }

    /// <summary>A dropout mask from LibTorch's own bernoulli_ (serial MT19937) against <see cref="CpuDropout"/>'s, per shape a step masks.</summary>
    public static IEnumerable<OpTiming> DropoutMasks(TrainingShape s)
    {
        foreach (var (x, shape, calls, p) in new[]
                 {
                     (empty(s.HeadBatches, s.Sequence, s.Sequence), s.Scores, s.Layers, s.Config.AttentionProbsDropoutProb),
                     (empty(s.Rows, s.Hidden), s.RowsBy(s.Hidden), 2 * s.Layers + 1, s.Config.HiddenDropoutProb),
                 })
        {
            yield return new(Group, "dropout mask: LibTorch bernoulli_(1 − p) ÷ (1 − p) (what nn.Dropout runs)", Forward, shape, calls,
                             OpClock.MedianMs(() => empty_like(x).bernoulli_(1 - p).div_(1 - p)));
            yield return new(Group, "dropout mask: CpuDropout (the same numbers, MT19937 in SIMD)", Forward, shape, calls,
                             OpClock.MedianMs(() => TrainingOpTimings.DropoutMask(x, p)));
        }
    }

    /// <summary>Q, K, V as three linears or one over the concatenated weights, split into heads.</summary>
    public static IEnumerable<OpTiming> QueryKeyValue(TrainingShape s)
    {
        int h = s.Hidden;
        var x = randn(s.Batch, s.Sequence, h);
        var inputs = new[] { x, randn(h, h).mul_(0.02), zeros(h), randn(h, h).mul_(0.02), zeros(h), randn(h, h).mul_(0.02), zeros(h) };
        var grads = Enumerable.Range(0, 3).Select(_ => randn(s.Batch, s.Heads, s.Sequence, s.HeadSize)).ToArray();
        Tensor Heads(Tensor rows) => rows.view(s.Batch, s.Sequence, s.Heads, s.HeadSize).transpose(1, 2);
        Tensor[] Separate(Tensor[] t) => [Heads(nn.functional.linear(t[0], t[1], t[2])), Heads(nn.functional.linear(t[0], t[3], t[4])), Heads(nn.functional.linear(t[0], t[5], t[6]))];
        Tensor[] Fused(Tensor[] t) =>
            [.. nn.functional.linear(t[0], cat([t[1], t[3], t[5]]), cat([t[2], t[4], t[6]])).split(h, -1).Select(Heads)];
        string shape = $"{s.RowsBy(h)} · {h}×{3 * h}";
        foreach (var (name, run) in new (string, Func<Tensor[], Tensor[]>)[] { ($"Q/K/V: three {h}→{h} linears", Separate), ($"Q/K/V: one {h}→{3 * h} linear (weights concatenated per step)", Fused) })
        {
            yield return new(Group, name, Forward, shape, s.Layers, OpClock.MedianMs(() =>
            {
                var leaves = inputs.Select(t => t.detach().requires_grad_(true)).ToArray();
                return () => run(leaves);
            }), 3 * 2.0 * s.Rows * h * h);
            yield return new(Group, name, Backward, shape, s.Layers, OpClock.BackwardMs(inputs, run, grads), 3 * 4.0 * s.Rows * h * h);
        }
    }

    /// <summary>softmax(q·kᵀ/√d) with dropout, times v, heads merged; explicit ops or scaled_dot_product_attention.</summary>
    public static IEnumerable<OpTiming> Attention(TrainingShape s)
    {
        double p = s.Config.AttentionProbsDropoutProb, scale = 1 / Math.Sqrt(s.HeadSize);
        var inputs = Enumerable.Range(0, 3).Select(_ => randn(s.Batch, s.Sequence, s.Hidden)).ToArray();
        var dy = randn(s.Batch, s.Sequence, s.Hidden);
        Tensor Heads(Tensor rows) => rows.view(s.Batch, s.Sequence, s.Heads, s.HeadSize).transpose(1, 2);
        Tensor Merge(Tensor context) => context.transpose(1, 2).reshape(s.Batch, s.Sequence, s.Hidden);
        Tensor Explicit(Tensor[] t)
        {
            var probabilities = Heads(t[0]).matmul(Heads(t[1]).transpose(-1, -2)).mul_(scale).softmax(-1);
            return Merge(CpuDropout.Apply(probabilities, p, training: true).matmul(Heads(t[2])));
        }
        Tensor Fused(Tensor[] t) => Merge(nn.functional.scaled_dot_product_attention(Heads(t[0]), Heads(t[1]), Heads(t[2]), null, p));
        double flops = 2 * 2.0 * s.HeadBatches * s.Sequence * s.Sequence * s.HeadSize;
        foreach (var (name, run) in new (string, Func<Tensor[], Tensor>)[] { ("attention: explicit (matmul, softmax, CpuDropout, matmul; what BertSelfAttention runs)", Explicit), ("attention: scaled_dot_product_attention", Fused) })
        {
            yield return new(Group, name, Forward, s.Scores, s.Layers, OpClock.MedianMs(() =>
            {
                var leaves = inputs.Select(t => t.detach().requires_grad_(true)).ToArray();
                return () => run(leaves);
            }), flops);
            yield return new(Group, name, Backward, s.Scores, s.Layers, OpClock.BackwardMs(inputs, run, dy), 2 * flops);
        }
    }
}
