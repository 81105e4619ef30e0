using MLNet.Transfer.Encoders;
using MLNet.Transfer.Models;
using MLNet.Transfer.Models.Heads;
using MLNet.Transfer.Text;
using MLNet.Transfer.Training;

namespace MLNet.Transfer.Benchmarks.Support;

/// <summary>
/// One timed fine-tuning run for the finetune-* rows: <see cref="FineTuner"/> on a fresh copy of all-MiniLM-L6-v2 (fine-tuning
/// changes weights: never the shared encoder) with a binary head, one epoch over texts of one length, every step the same
/// shape. Step times come from the progress reports.
/// </summary>
internal static class FineTuneRun
{
    /// <summary>Texts of exactly <paramref name="tokens"/> tokens, enough for <paramref name="steps"/> steps of <paramref name="rowsPerStep"/>.</summary>
    public static EncodedText[] Texts(Quick.BenchContext context, int tokens, int rowsPerStep, int steps) =>
        FixedLengthTexts.Build(context.Encoder.Tokenizer, context.Corpus.Sentences, tokens, rowsPerStep * steps).Items;

    /// <summary>Trains one epoch over <paramref name="texts"/>; returns every step's seconds and the FLOPs per token of forward + backward.</summary>
    public static (List<double> StepSeconds, double FlopsPerToken) Train(EncodedText[] texts, FineTuneSettings settings)
    {
        using var encoder = PretrainedEncoder.Load(Quick.BenchContext.ModelName);
        var examples = texts.Select((item, i) => new TrainingExample(item, [[i % 2]])).ToArray();
        using var model = new TransferModel(encoder.Model, [new TaskSpec("task", TaskKind.Binary, 1)], PoolingMode.Mean, headDropout: 0.1);
        var clock = new StepClock();
        new FineTuner(model, settings with { Epochs = 1 }, encoder.Tokenizer.PadId).Train(examples, progress: clock);
        return (clock.StepSeconds, FlopsPerToken(model, encoder, texts[0].Length));
    }

    /// <summary>
    /// 6 × matmul parameters (encoder and head weight matrices; embedding lookups do no matmul work) + 12 × layers × seq ×
    /// hidden for attention scores and context (forward + backward).
    /// </summary>
    public static double FlopsPerToken(TransferModel model, PretrainedEncoder encoder, int sequenceLength)
    {
        long matmulParameters = model.named_parameters()
            .Where(p => p.parameter.dim() == 2 && !p.name.Contains("embeddings", StringComparison.Ordinal))
            .Sum(p => p.parameter.numel());
        return 6.0 * matmulParameters + 12.0 * encoder.LayerCount * sequenceLength * encoder.HiddenSize;
    }

    /// <summary>The median or best (per <paramref name="useMedian"/>) of the step times.</summary>
    public static double Typical(IEnumerable<double> seconds, bool useMedian)
    {
        var sorted = seconds.Order().ToArray();
        return useMedian ? sorted[sorted.Length / 2] : sorted[0];
    }
}
