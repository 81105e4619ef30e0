using TorchSharp;
using System.Runtime.InteropServices;
using MLNet.Transfer.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transfer.Benchmarks.Profiling;

/// <summary>One op of a fine-tuning step timed in isolation, with how often a step runs it.</summary>
/// <param name="Group">GEMM, attention GEMM, layout copy, elementwise, embeddings + loss, per step.</param>
/// <param name="Name">What the op computes.</param>
/// <param name="Pass">forward, backward or step.</param>
/// <param name="Shape">Operand sizes.</param>
/// <param name="CallsPerStep">Calls in one step (per layer × layers, plus the embeddings' and head's).</param>
/// <param name="MsPerCall">Median milliseconds of one call.</param>
/// <param name="FlopsPerCall">Multiply-add FLOPs of one call (2·m·n·k), 0 for non-GEMM work.</param>
internal sealed record OpTiming(string Group, string Name, string Pass, string Shape, int CallsPerStep, double MsPerCall, double FlopsPerCall = 0)
{
    public double MsPerStep => CallsPerStep * MsPerCall;
    public double Gflops => FlopsPerCall > 0 ? FlopsPerCall / MsPerCall / 1e6 : double.NaN;
}

/// <summary>
/// The ops of one fp32 fine-tuning step of a BERT encoder (explicit attention, as <c>BertSelfAttention</c> runs it up to
/// 128 tokens), each timed alone on random inputs of the step's shapes with the layouts autograd gives them: every dense
/// layer's forward X·Wᵀ + b and backward dX = dY·W and dW = dYᵀ·X, the attention batched matmuls and their backward,
/// the copies that split and merge heads, and the elementwise work (LayerNorm, GELU (erf), softmax, dropout, residual
/// adds, gradient sums), forward and backward, the embeddings and the loss.
/// </summary>
internal static class TrainingOpTimings
{
    private const string Gemm = "GEMM", AttentionGemm = "attention GEMM", Layout = "layout copy", Elementwise = "elementwise", Ends = "embeddings + loss";
    private const string Forward = "forward", Backward = "backward";

    /// <summary>The dense layers: Q/K/V (three), attention output, FFN up and down.</summary>
    public static IEnumerable<OpTiming> DenseLayers(TrainingShape s)
    {
        foreach (var (name, inputs, outputs, perLayer) in new[]
                 {
                     ("Q/K/V projection", s.Hidden, s.Hidden, 3), ("attention output", s.Hidden, s.Hidden, 1),
                     ("FFN up", s.Hidden, s.Intermediate, 1), ("FFN down", s.Intermediate, s.Hidden, 1),
                 })
        {
            var x = randn(s.Rows, inputs);
            var w = randn(outputs, inputs).mul_(0.02);
            var b = zeros(outputs);
            var dy = randn(s.Rows, outputs);
            double flops = 2.0 * s.Rows * inputs * outputs;
            int calls = perLayer * s.Layers;
            yield return new(Gemm, $"{name} X·Wᵀ + b", Forward, $"{s.RowsBy(inputs)} · {inputs}×{outputs}", calls,
                             OpClock.MedianMs(() => nn.functional.linear(x, w, b)), flops);
            yield return new(Gemm, $"{name} dX = dY·W", Backward, $"{s.RowsBy(outputs)} · {outputs}×{inputs}", calls,
                             OpClock.MedianMs(() => dy.mm(w)), flops);
            yield return new(Gemm, $"{name} dW = dYᵀ·X", Backward, $"{outputs}×{s.Rows} · {s.RowsBy(inputs)}", calls,
                             OpClock.MedianMs(() => dy.t().mm(x)), flops);
            yield return new(Elementwise, $"{name} db = Σ rows dY", Backward, s.RowsBy(outputs), calls,
                             OpClock.MedianMs(() => dy.sum(0)));
        }
    }

    /// <summary>
    /// Scores q·kᵀ and context p·v, forward and backward, as <c>matmul</c> runs them: bmm over contiguous copies
    /// (q [b·h, s, d], kᵀ [b·h, d, s]); bmm's backward is dq = dS·k, dkᵀ = qᵀ·dS, dP = dC·vᵀ, dv = pᵀ·dC.
    /// </summary>
    public static IEnumerable<OpTiming> AttentionProducts(TrainingShape s)
    {
        long n = s.HeadBatches;
        int seq = s.Sequence, d = s.HeadSize;
        var q = randn(n, seq, d);
        var kT = randn(n, d, seq);
        var v = randn(n, seq, d);
        var p = randn(n, seq, seq).softmax(-1);
        var dS = randn(n, seq, seq);
        var dC = randn(n, seq, d);
        double flops = 2.0 * n * seq * seq * d;
        int calls = s.Layers;
        string qk = $"{n}× {seq}×{d}·{d}×{seq}", pv = $"{n}× {seq}×{seq}·{seq}×{d}";
        yield return new(AttentionGemm, "scores S = q·kᵀ", Forward, qk, calls, OpClock.MedianMs(() => q.bmm(kT)), flops);
        yield return new(AttentionGemm, "context C = P·v", Forward, pv, calls, OpClock.MedianMs(() => p.bmm(v)), flops);
        yield return new(AttentionGemm, "dP = dC·vᵀ", Backward, $"{n}× {seq}×{d}·{d}×{seq}", calls, OpClock.MedianMs(() => dC.bmm(v.transpose(1, 2))), flops);
        yield return new(AttentionGemm, "dv = Pᵀ·dC", Backward, pv, calls, OpClock.MedianMs(() => p.transpose(1, 2).bmm(dC)), flops);
        yield return new(AttentionGemm, "dq = dS·k", Backward, pv, calls, OpClock.MedianMs(() => dS.bmm(kT.transpose(1, 2))), flops);
        yield return new(AttentionGemm, "dkᵀ = qᵀ·dS", Backward, $"{n}× {d}×{seq}·{seq}×{seq}", calls, OpClock.MedianMs(() => q.transpose(1, 2).bmm(dS)), flops);
    }

    /// <summary>
    /// The copies between the dense layers' [b, s, h·d] rows and the per-head [b·h, s, d] matrices: matmul's reshape of
    /// the transposed q, kᵀ, v views and the context's merge forward, the same moves of their gradients backward.
    /// </summary>
    public static IEnumerable<OpTiming> HeadLayout(TrainingShape s)
    {
        int b = s.Batch, seq = s.Sequence, h = s.Heads, d = s.HeadSize;
        var rows = randn(b, seq, s.Hidden);
        var perHead = randn(s.HeadBatches, seq, d);
        var perHeadT = randn(s.HeadBatches, d, seq);
        Tensor Split(Tensor x) => x.view(b, seq, h, d).transpose(1, 2).reshape(s.HeadBatches, seq, d);
        Tensor SplitT(Tensor x) => x.view(b, seq, h, d).transpose(1, 2).transpose(-1, -2).reshape(s.HeadBatches, d, seq);
        Tensor Merge(Tensor x) => x.view(b, h, seq, d).transpose(1, 2).reshape(b, seq, s.Hidden);
        Tensor MergeT(Tensor x) => x.view(b, h, d, seq).permute(0, 3, 1, 2).reshape(b, seq, s.Hidden);
        string split = $"{s.RowsBy(s.Hidden)} → {s.HeadBatches}×{seq}×{d}", merge = $"{s.HeadBatches}×{seq}×{d} → {s.RowsBy(s.Hidden)}";
        yield return new(Layout, "q, v rows → heads", Forward, split, 2 * s.Layers, OpClock.MedianMs(() => Split(rows)));
        yield return new(Layout, "kᵀ rows → heads", Forward, split, s.Layers, OpClock.MedianMs(() => SplitT(rows)));
        yield return new(Layout, "context heads → rows", Forward, merge, s.Layers, OpClock.MedianMs(() => Merge(perHead)));
        yield return new(Layout, "dq, dv heads → rows", Backward, merge, 2 * s.Layers, OpClock.MedianMs(() => Merge(perHead)));
        yield return new(Layout, "dkᵀ heads → rows", Backward, merge, s.Layers, OpClock.MedianMs(() => MergeT(perHeadT)));
        yield return new(Layout, "dC rows → heads", Backward, split, s.Layers, OpClock.MedianMs(() => Split(rows)));
    }

    /// <summary>LayerNorm, GELU, softmax, scaling, dropout masks and their application, residual adds, gradient sums.</summary>
    public static IEnumerable<OpTiming> ElementwiseWork(TrainingShape s)
    {
        int layers = s.Layers, hidden = s.Hidden;
        var rows = randn(s.Rows, hidden);
        var other = randn(s.Rows, hidden);
        var sum = randn(s.Rows, hidden);
        var wide = randn(s.Rows, s.Intermediate);
        var scores = randn(s.HeadBatches, s.Sequence, s.Sequence);
        var gamma = ones(hidden);
        var beta = zeros(hidden);
        double scale = 1 / Math.Sqrt(s.HeadSize);
        string narrow = s.RowsBy(hidden), expanded = s.RowsBy(s.Intermediate);
        yield return new(Elementwise, "LayerNorm", Forward, narrow, 2 * layers + 1,
                         OpClock.MedianMs(() => nn.functional.layer_norm(rows, [hidden], gamma, beta, s.Config.LayerNormEps)));
        yield return new(Elementwise, "LayerNorm (dx, dγ, dβ)", Backward, narrow, 2 * layers + 1,
                         OpClock.BackwardMs([rows, gamma, beta], t => nn.functional.layer_norm(t[0], [hidden], t[1], t[2], s.Config.LayerNormEps), other));
        yield return new(Elementwise, "GELU (erf)", Forward, expanded, layers, OpClock.MedianMs(() => nn.functional.gelu(wide)));
        yield return new(Elementwise, "GELU (erf)", Backward, expanded, layers, OpClock.BackwardMs([wide], t => nn.functional.gelu(t[0]), wide));
        yield return new(Elementwise, "scores × 1/√d (in place)", Forward, s.Scores, layers, OpClock.MedianMs(() => scores.mul_(1.0)));
        yield return new(Elementwise, "scores × 1/√d", Backward, s.Scores, layers, OpClock.MedianMs(() => scores.mul(scale)));
        yield return new(Elementwise, "softmax", Forward, s.Scores, layers, OpClock.MedianMs(() => scores.softmax(-1)));
        yield return new(Elementwise, "softmax", Backward, s.Scores, layers, OpClock.BackwardMs([scores], t => t[0].softmax(-1), scores));
        foreach (var (what, x, perStep, p) in new[]
                 {
                     ("dropout on attention probabilities", scores, layers, s.Config.AttentionProbsDropoutProb),
                     ("dropout on hidden rows", rows, 2 * layers + 1, s.Config.HiddenDropoutProb),
                 })
        {
            string shape = ReferenceEquals(x, scores) ? s.Scores : narrow;
            var mask = DropoutMask(x, p);
            yield return new(Elementwise, $"{what}: mask (CpuDropout: MT19937 in SIMD, ÷ keep)", Forward, shape, perStep,
                             OpClock.MedianMs(() => DropoutMask(x, p)));
            yield return new(Elementwise, $"{what}: apply (× mask)", Forward, shape, perStep, OpClock.MedianMs(() => x.mul(mask)));
            yield return new(Elementwise, $"{what} (× mask)", Backward, shape, perStep, OpClock.MedianMs(() => x.mul(mask)));
        }
        yield return new(Elementwise, "residual add", Forward, narrow, 2 * layers, OpClock.MedianMs(() => rows.add(other)));
        yield return new(Elementwise, "gradient sums at branches (+=)", Backward, narrow, 4 * layers, OpClock.MedianMs(() => sum.add_(other)));
    }

    /// <summary>The mask <see cref="CpuDropout"/> multiplies by: LibTorch's bernoulli_(1 − p) drawn in C#, ÷ (1 − p).</summary>
    public static Tensor DropoutMask(Tensor like, double p)
    {
        var mask = empty_like(like);
        CpuDropout.FillBernoulli(MemoryMarshal.Cast<byte, float>(mask.bytes), 1 - p);
        using var keep = (1 - p).ToScalar();
        return mask.div_(keep);
    }

    /// <summary>
    /// The embedding gathers and their sum, the embedding weights' dense gradients (zeros + scatter-add), mean pooling +
    /// head + binary cross-entropy and their backward, and the accumulation of every new gradient into its zeroed
    /// <c>.grad</c> (TorchSharp zeroes gradients rather than dropping them).
    /// </summary>
    public static IEnumerable<OpTiming> EmbeddingsAndLoss(TrainingShape s, IReadOnlyList<Tensor> trainable)
    {
        var config = s.Config;
        var ids = randint(1000, config.VocabSize, [s.Batch, s.Sequence], dtype: ScalarType.Int64);
        var positions = arange(s.Sequence, dtype: ScalarType.Int64).unsqueeze(0);
        var types = zeros([s.Batch, s.Sequence], dtype: ScalarType.Int64);
        using var word = nn.Embedding(config.VocabSize, s.Hidden, padding_idx: config.PadTokenId);
        using var position = nn.Embedding(config.MaxPositionEmbeddings, s.Hidden);
        using var type = nn.Embedding(config.TypeVocabSize, s.Hidden);
        var dy = randn(s.Batch, s.Sequence, s.Hidden);
        string narrow = s.RowsBy(s.Hidden);
        yield return new(Ends, "embedding gathers (word, position, type) + 2 adds", Forward, narrow, 1,
                         OpClock.MedianMs(() => word.call(ids).add(position.call(positions)).add(type.call(types))));
        foreach (var (name, table, input, grad) in new (string, Embedding, Tensor, Tensor)[]
                 {
                     ("word", word, ids, dy), ("position", position, positions, dy.sum([0], keepdim: true)), ("type", type, types, dy),
                 })
        {
            var weight = table.weight!; // fetched once: never inside a timed call's dispose scope
            yield return new(Ends, $"{name} embedding dense gradient (zeros + scatter-add)", Backward,
                             $"{weight.shape[0]}×{s.Hidden}", 1, OpClock.MedianMs(() =>
                             {
                                 var output = table.call(input);
                                 return () => torch.autograd.grad([output], [weight], [grad]);
                             }));
        }
        yield return new(Ends, "Σ batch of the position gradient", Backward, narrow, 1, OpClock.MedianMs(() => dy.sum([0], keepdim: true)));

        var states = randn(s.Batch, s.Sequence, s.Hidden);
        var headWeight = randn(1, s.Hidden).mul_(0.02);
        var headBias = zeros(1);
        var targets = randint(0, 2, [s.Batch]).to(ScalarType.Float32);
        Tensor Loss(Tensor[] t) => nn.functional.binary_cross_entropy_with_logits(
            nn.functional.linear(nn.functional.dropout(t[0].mean([1]), 0.1, training: true), t[1], t[2]).squeeze(1), targets);
        yield return new(Ends, "mean pooling + head (dropout, 384→1) + BCE", Forward, narrow, 1,
                         OpClock.MedianMs(() => Loss([states, headWeight, headBias])));
        yield return new(Ends, "mean pooling + head + BCE", Backward, narrow, 1,
                         OpClock.BackwardMs([states, headWeight, headBias], Loss, ones([])));

        var gradients = trainable.Select(p => (Current: zeros_like(p), New: randn_like(p))).ToArray();
        long elements = trainable.Sum(p => p.numel());
        yield return new(Ends, ".grad += new gradient, every parameter", Backward, $"{elements / 1e6:F1} M values", 1,
                         OpClock.MedianMs(() => { foreach (var (current, next) in gradients) current.add_(next); }));
    }
}
