using BenchmarkDotNet.Attributes;
using MLNet.Transfer.Benchmarks.Quick;
using MLNet.Transfer.Benchmarks.Support;
using MLNet.Transfer.Text;

namespace MLNet.Transfer.Benchmarks.Bdn;

/// <summary>
/// Token ids to mean-pooled vectors for one batch of equal-length real texts: ours (TorchSharp) against ONNX
/// Runtime on the same model file, 2 threads each (the quick mode's embed-batch cells).
/// </summary>
public class EmbedBenchmarks
{
    private EncodedText[] _items = [];

    /// <summary>Texts per batch.</summary>
    [Params(1, 32)]
    public int Batch { get; set; }

    /// <summary>Tokens per text, [CLS] and [SEP] included.</summary>
    [Params(12, 40, 256)]
    public int Tokens { get; set; }

    /// <summary>Loads the model, the ORT session and the texts.</summary>
    [GlobalSetup]
    public void Setup() => _items = BdnRunner.Context.FixedLength(Tokens)[..Batch];

    /// <summary>Ours: the per-batch work of SentenceEmbedder on the default engine (InferenceEngine.Auto).</summary>
    [Benchmark]
    public float[][] Ours() => BdnRunner.Context.Embedder(EmbedPath.Default).Embedder.EncodeBatch(_items);

    /// <summary>ONNX Runtime on the same ids, mean pooling in C#.</summary>
    [Benchmark(Baseline = true)]
    public float[][] OnnxRuntime() => BdnRunner.Context.Ort.EmbedMean(_items, BdnRunner.Context.Encoder.Tokenizer.PadId);
}
