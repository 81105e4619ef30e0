using System.Diagnostics;
using MLNet.Transfer.Benchmarks.Quick;
using MLNet.Transfer.Benchmarks.Support;
using MLNet.Transfer.Checkpoints;
using MLNet.Transfer.Models;
using MLNet.Transfer.Models.Bert;
using MLNet.Transfer.Text;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transfer.Benchmarks.Profiling;

/// <summary>
/// --profile: where one embedding call (batch 1 and 32 of 40-token texts) spends its time — tokenization,
/// TokenBatch.Create, the forward pass, pooling, copy-out, scope disposal — how many tensors (≈ native calls) one
/// forward creates, what each block and each kind of op costs in isolation, and 1 vs 2 threads for us and ORT.
/// Medians over repeated calls; run it on a quiet machine.
/// </summary>
internal static class InferenceProfile
{
    private const int Tokens = 40;

    public static int Run(int threads)
    {
        using var context = new BenchContext(threads, new MeasureSettings(), Console.Error);
        Console.WriteLine($"matmul peak: {MatmulPeak.MeasureGflops(threads):F0} GFLOP/s on {threads} threads (load check)");
        var (_, texts) = context.FixedLengthWithTexts(Tokens);
        foreach (int batch in new[] { 1, 32 })
        {
            Console.WriteLine();
            Console.WriteLine($"## batch {batch} × {Tokens} tokens, {threads} threads");
            Stages(context, texts[..batch]);
            Blocks(context, batch);
            Ops(context, batch);
        }
        Console.WriteLine();
        ThreadCounts(context, texts);
        return 0;
    }

    private static void Stages(BenchContext context, string[] texts)
    {
        var encoder = context.Encoder;
        var tokenizer = encoder.Tokenizer;
        string[] names = ["tokenize", "scope + inference_mode", "TokenBatch.Create", "BertModel.Forward", "Pooling.Pool", "copy-out (.data<float>, rows)", "dispose tensors + scope"];
        var samples = names.Select(_ => new List<double>()).ToArray();
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < 10 || clock.Elapsed.TotalSeconds < 3; i++)
        {
            var t = new long[names.Length + 1];
            t[0] = Stopwatch.GetTimestamp();
            var encoded = texts.Select(s => tokenizer.Encode(s, 256)).ToArray();
            t[1] = Stopwatch.GetTimestamp();
            var scope = NewDisposeScope();
            var mode = inference_mode();
            t[2] = Stopwatch.GetTimestamp();
            var tokens = TokenBatch.Create(encoded, tokenizer.PadId, encoder.Device);
            t[3] = Stopwatch.GetTimestamp();
            var states = encoder.Model.Forward(tokens.InputIds, tokens.TokenTypeIds, tokens.AttentionMask);
            t[4] = Stopwatch.GetTimestamp();
            var pooled = Pooling.Pool(states[^1], tokens.AttentionMask, PoolingMode.Mean);
            t[5] = Stopwatch.GetTimestamp();
            var flat = pooled.to(ScalarType.Float32).cpu().contiguous().data<float>().ToArray();
            var rows = new float[texts.Length][];
            for (int r = 0; r < rows.Length; r++) rows[r] = flat.AsSpan(r * encoder.HiddenSize, encoder.HiddenSize).ToArray();
            t[6] = Stopwatch.GetTimestamp();
            tokens.Dispose();
            mode.Dispose();
            scope.Dispose();
            t[7] = Stopwatch.GetTimestamp();
            if (i < 3) continue; // warm-up
            for (int s = 0; s < names.Length; s++) samples[s].Add(Stopwatch.GetElapsedTime(t[s], t[s + 1]).TotalMilliseconds);
        }
        double total = samples.Sum(Median);
        Console.WriteLine($"stages (median ms over {samples[0].Count} calls; total {total:F2} ms = {texts.Length / total * 1000:F0} sentences/s):");
        for (int s = 0; s < names.Length; s++)
            Console.WriteLine($"  {names[s],-32} {Median(samples[s]),8:F3} ms  {Median(samples[s]) / total,6:P1}");

        using (var scope = NewDisposeScope())
        using (var mode = inference_mode())
        {
            var tokens = TokenBatch.Create(texts.Select(s => tokenizer.Encode(s, 256)).ToArray(), tokenizer.PadId);
            var stats = Statistics();
            long before = stats.CreatedInScopeCount + stats.CreatedOutsideScopeCount;
            encoder.Model.Forward(tokens.InputIds, tokens.TokenTypeIds, tokens.AttentionMask);
            long created = stats.CreatedInScopeCount + stats.CreatedOutsideScopeCount - before;
            Console.WriteLine($"  tensors created by one Forward: {created} (≈ native op calls; shape reads and scope bookkeeping add more)");

            double withMask = MedianMs(() => { using var s = NewDisposeScope(); encoder.Model.Forward(tokens.InputIds, tokens.TokenTypeIds, tokens.AttentionMask); });
            double noMask = MedianMs(() => { using var s = NewDisposeScope(); encoder.Model.Forward(tokens.InputIds, tokens.TokenTypeIds, null); });
            double maskCheck = MedianMs(() => { using var s = NewDisposeScope(); AttentionMasks.Additive(tokens.AttentionMask, false, Tokens, ScalarType.Float32); });
            Console.WriteLine($"  Forward with the all-ones mask {withMask:F3} ms, with null mask {noMask:F3} ms; AttentionMasks.Additive alone (min().item()) {maskCheck:F3} ms");
            double grad = MedianMs(() => { using var s = NewDisposeScope(); using var g = enable_grad(false); encoder.Model.Forward(tokens.InputIds, tokens.TokenTypeIds, tokens.AttentionMask); });
            Console.WriteLine($"  Forward under no_grad instead of inference_mode: {grad:F3} ms");
        }
    }

    private static void Blocks(BenchContext context, int batch)
    {
        var model = (BertModel)context.Encoder.Model;
        var modules = model.named_modules().ToDictionary(m => m.name, m => m.module);
        using var scope = NewDisposeScope();
        using var mode = inference_mode();
        var items = context.FixedLength(Tokens)[..batch];
        var tokens = TokenBatch.Create(items, context.Encoder.Tokenizer.PadId);
        var hidden = model.Embeddings.call(tokens.InputIds, tokens.TokenTypeIds);
        var self = (BertSelfAttention)modules["encoder.layer.0.attention.self"];
        var selfOutput = (BertResidualOutput)modules["encoder.layer.0.attention.output"];
        var intermediate = (BertIntermediate)modules["encoder.layer.0.intermediate"];
        var output = (BertResidualOutput)modules["encoder.layer.0.output"];
        var attended = self.call(hidden, null);
        var up = intermediate.call(hidden);
        var parts = new (string Name, double Ms, int PerForward)[]
        {
            ("embeddings", MedianMs(() => model.Embeddings.call(tokens.InputIds, tokens.TokenTypeIds).Dispose()), 1),
            ("layer (whole)", MedianMs(() => model.Layers[0].call(hidden, null).Dispose()), 6),
            ("  attention.self (q,k,v, SDPA)", MedianMs(() => self.call(hidden, null).Dispose()), 6),
            ("  attention.output (dense, add, LN)", MedianMs(() => selfOutput.call(attended, hidden).Dispose()), 6),
            ("  intermediate (dense 384→1536, gelu)", MedianMs(() => intermediate.call(hidden).Dispose()), 6),
            ("  output (dense 1536→384, add, LN)", MedianMs(() => output.call(up, hidden).Dispose()), 6),
        };
        Console.WriteLine("blocks in isolation (median ms per call, × calls per forward):");
        foreach (var (name, ms, n) in parts) Console.WriteLine($"  {name,-40} {ms,8:F3} ms × {n} = {ms * n,7:F2} ms");
    }

    private static void Ops(BenchContext context, int batch)
    {
        var modules = context.Encoder.Model.named_modules().ToDictionary(m => m.name, m => m.module);
        var query = (Linear)modules["encoder.layer.0.attention.self.query"];
        var key = (Linear)modules["encoder.layer.0.attention.self.key"];
        var value = (Linear)modules["encoder.layer.0.attention.self.value"];
        var up = (Linear)modules["encoder.layer.0.intermediate.dense"];
        var down = (Linear)modules["encoder.layer.0.output.dense"];
        var norm = (LayerNorm)modules["encoder.layer.0.output.LayerNorm"];
        using var scope = NewDisposeScope();
        using var mode = inference_mode();
        var x = randn(batch, Tokens, 384);
        var wide = randn(batch, Tokens, 1536);
        var heads = randn(batch, 12, Tokens, 32);
        var fusedWeight = cat([query.weight!, key.weight!, value.weight!], 0);
        var fusedBias = cat([query.bias!, key.bias!, value.bias!], 0);
        var small = zeros(1);
        var ops = new (string Name, double Ms, int PerForward)[]
        {
            ("Linear 384→384 (q/k/v/out)", MedianMs(() => query.call(x).Dispose()), 24),
            ("fused QKV linear 384→1152 + chunk", MedianMs(() => { using var s = NewDisposeScope(); nn.functional.linear(x, fusedWeight, fusedBias).chunk(3, -1); }), 0),
            ("Linear 384→1536", MedianMs(() => up.call(x).Dispose()), 6),
            ("Linear 1536→384", MedianMs(() => down.call(wide).Dispose()), 6),
            ("scaled_dot_product_attention", MedianMs(() => nn.functional.scaled_dot_product_attention(heads, heads, heads).Dispose()), 6),
            ("attention as matmul, softmax, matmul", MedianMs(() =>
            {
                using var s = NewDisposeScope();
                heads.matmul(heads.transpose(-1, -2)).mul_(1 / Math.Sqrt(32)).softmax(-1).matmul(heads);
            }), 0),
            ("gelu [.,.,1536]", MedianMs(() => nn.functional.gelu(wide).Dispose()), 6),
            ("LayerNorm 384", MedianMs(() => norm.call(x).Dispose()), 13),
            ("add [.,.,384]", MedianMs(() => (x + x).Dispose()), 14),
            ("view+transpose (heads)", MedianMs(() => { using var s = NewDisposeScope(); x.view(batch, Tokens, 12, 32).transpose(1, 2); }), 18),
            ("trivial op (1-element add)", MedianMs(() => (small + small).Dispose()), 0),
            ("NewDisposeScope + dispose (empty)", MedianMs(() => NewDisposeScope().Dispose()), 0),
        };
        Console.WriteLine("ops in isolation (median ms per call, × calls per forward):");
        foreach (var (name, ms, n) in ops)
            Console.WriteLine($"  {name,-40} {ms,8:F4} ms{(n > 0 ? $" × {n,2} = {ms * n,7:F2} ms" : "")}");
    }

    private static void ThreadCounts(BenchContext context, string[] texts)
    {
        Console.WriteLine("## threads: ours vs ORT, ids → pooled vectors (median ms per call, interleaved)");
        var onnx = EmbeddedModelFiles.Find(BenchContext.ModelName).ReadOnnx();
        using var ort1 = new OrtEncoder(onnx, 1);
        using var ort2 = new OrtEncoder(onnx, 2);
        int pad = context.Encoder.Tokenizer.PadId;
        foreach (int batch in new[] { 1, 8, 32 })
        {
            var items = context.FixedLength(Tokens)[..batch];
            var results = new Dictionary<string, List<double>> { ["ours 1t"] = [], ["ours 2t"] = [], ["ORT 1t"] = [], ["ORT 2t"] = [] };
            for (int round = 0; round < 4; round++)
            {
                set_num_threads(1);
                results["ours 1t"].Add(MedianMs(() => context.Embedder(EmbedPath.LibTorch).Embedder.EncodeBatch(items), 0.5));
                set_num_threads(2);
                results["ours 2t"].Add(MedianMs(() => context.Embedder(EmbedPath.LibTorch).Embedder.EncodeBatch(items), 0.5));
                results["ORT 1t"].Add(MedianMs(() => ort1.EmbedMean(items, pad), 0.5));
                results["ORT 2t"].Add(MedianMs(() => ort2.EmbedMean(items, pad), 0.5));
            }
            set_num_threads(context.Threads);
            Console.WriteLine($"  batch {batch,2}: " + string.Join(", ", results.Select(r => $"{r.Key} {r.Value.Min():F2} ms")));
        }
    }

    private static ThreadDisposeScopeStatistics Statistics() => DisposeScopeManager.Statistics;

    private static double MedianMs(Action action, double seconds = 1.0)
    {
        for (int i = 0; i < 3; i++) action();
        var samples = new List<double>();
        var clock = Stopwatch.StartNew();
        while (samples.Count < 10 || clock.Elapsed.TotalSeconds < seconds)
        {
            long start = Stopwatch.GetTimestamp();
            action();
            samples.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
        return Median(samples);
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }
}
