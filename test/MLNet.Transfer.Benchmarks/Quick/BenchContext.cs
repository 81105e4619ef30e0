using MLNet.Transfer.Benchmarks.Support;
using MLNet.Transfer.Checkpoints;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.Inference;
using MLNet.Transfer.Text;
using TorchSharp;

namespace MLNet.Transfer.Benchmarks.Quick;

/// <summary>
/// What the comparisons share: thread count (applied to LibTorch and ONNX Runtime alike), measurement
/// settings, the corpus, one loaded encoder, one ORT session on the same model file, and notes for the report.
/// Expensive members load on first use.
/// </summary>
internal sealed class BenchContext : IDisposable
{
    public const string ModelName = "minilm";
    private readonly Lazy<Corpus> _corpus = new(Corpus.Load);
    private readonly Lazy<PretrainedEncoder> _encoder = new(() => PretrainedEncoder.Load(ModelName));
    private readonly Lazy<PretrainedEncoder> _bf16Encoder = new(() =>
    {
        var encoder = PretrainedEncoder.Load(ModelName);
        encoder.UseBFloat16Inference();
        return encoder;
    });
    private readonly Lazy<OrtEncoder> _ort, _ortInt8;
    private readonly Lazy<EngineEmbedder> _default, _libTorch, _bf16, _int8;
    private readonly Dictionary<int, (EncodedText[] Items, string[] Texts, int Exact)> _fixed = [];

    public BenchContext(int threads, MeasureSettings measure, TextWriter log)
    {
        Threads = threads;
        Measure = measure;
        Log = log;
        torch.set_num_threads(threads);
        _ort = new(() => new OrtEncoder(EmbeddedModelFiles.Find(ModelName).ReadOnnx(), threads));
        _ortInt8 = new(() => new OrtEncoder(PublishedInt8Model.Quantize(EmbeddedModelFiles.Find(ModelName).ReadOnnx()), threads));
        _default = new(() => new EngineEmbedder(Encoder, new EmbeddingSettings(), InferenceEngine.Auto));
        _libTorch = new(() => new EngineEmbedder(Encoder, new EmbeddingSettings(), InferenceEngine.LibTorch));
        _bf16 = new(() => new EngineEmbedder(BFloat16Encoder, new EmbeddingSettings(), InferenceEngine.Auto));
        _int8 = new(() => new EngineEmbedder(Encoder, new EmbeddingSettings(), InferenceEngine.OnnxRuntimeInt8));
    }

    public int Threads { get; }
    /// <summary>Budget and statistic; <c>UnderLoadComparison</c> switches to the median while it runs.</summary>
    public MeasureSettings Measure { get; set; }
    public TextWriter Log { get; }
    public List<string> Notes { get; } = [];
    public Corpus Corpus => _corpus.Value;
    public PretrainedEncoder Encoder => _encoder.Value;
    public OrtEncoder Ort => _ort.Value;

    /// <summary>ONNX Runtime on the published model.onnx with its MatMul weights quantized to int8 (<see cref="PublishedInt8Model"/>).</summary>
    public OrtEncoder OrtInt8 => _ortInt8.Value;

    /// <summary>A second copy of the encoder with the opt-in bf16 inference (<c>BertModel.UseBFloat16Inference</c>).</summary>
    public PretrainedEncoder BFloat16Encoder => _bf16Encoder.Value;

    /// <summary>
    /// Mean pooling of the last layer on the engine <paramref name="path"/> names: the default (what
    /// <c>ApplyContextualEmbeddings</c> runs with no engine option: <see cref="InferenceEngine.Auto"/>), fp32 LibTorch, or
    /// the opt-in bf16 LibTorch (Auto runs a bf16 encoder on LibTorch), or the opt-in int8 ONNX Runtime engine.
    /// </summary>
    public EngineEmbedder Embedder(EmbedPath path) => path switch
    {
        EmbedPath.LibTorch => _libTorch.Value,
        EmbedPath.BFloat16 => _bf16.Value,
        EmbedPath.Int8 => _int8.Value,
        _ => _default.Value,
    };

    /// <summary>128 encoded texts of exactly <paramref name="tokens"/> tokens (see <see cref="FixedLengthTexts"/>).</summary>
    public EncodedText[] FixedLength(int tokens) => FixedLengthWithTexts(tokens).Items;

    /// <summary>The texts of <see cref="FixedLength"/> with their encodings (texts may be cut: encode them with <paramref name="tokens"/>).</summary>
    public (EncodedText[] Items, string[] Texts) FixedLengthWithTexts(int tokens)
    {
        if (!_fixed.TryGetValue(tokens, out var entry))
        {
            entry = FixedLengthTexts.Build(Encoder.Tokenizer, Corpus.Sentences, tokens, 128);
            _fixed[tokens] = entry;
            Note($"{tokens}-token texts: {entry.Exact} real sentences of exactly that length, {128 - entry.Exact} joined consecutive sentences cut at {tokens}.");
        }
        return (entry.Items, entry.Texts);
    }

    public void Note(string note)
    {
        Notes.Add(note);
        Log.WriteLine($"  note: {note}");
    }

    public void Dispose()
    {
        if (_ort.IsValueCreated) _ort.Value.Dispose();
        if (_ortInt8.IsValueCreated) _ortInt8.Value.Dispose();
        if (_encoder.IsValueCreated) _encoder.Value.Dispose();
        if (_bf16Encoder.IsValueCreated) _bf16Encoder.Value.Dispose();
    }
}
