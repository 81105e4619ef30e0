using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transfer.Onnx;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.Inference;
using MLNet.Transfer.Models;
using MLNet.Transfer.Text;

namespace MLNet.Transfer.MLNetIntegration;

/// <summary>
/// Adds a vector column of contextual sentence embeddings computed by a pretrained encoder, a batch of rows at a
/// time. Saved with <c>mlContext.Model.Save</c> together with the encoder's weights and vocabulary (the zip is
/// self-contained); call <c>mlContext.RegisterTransferComponents()</c> before <c>mlContext.Model.Load</c>.
/// The forward passes run on <see cref="InferenceEngine"/> (by default ONNX Runtime over our export of the encoder,
/// built on first use and released with the transformer).
/// </summary>
public sealed class ContextualEmbeddingTransformer : BatchedTransformerBase, IPersistableModel<ContextualEmbeddingTransformer>
{
    private readonly PretrainedEncoder _encoder;
    private readonly ContextualEmbeddingOptions _options;
    private readonly EngineEmbedder _engine;
    private readonly SentenceEmbedder _embedder;

    /// <summary>Rows read per cursor batch, in forward batches: more rows let length bucketing cut padding.</summary>
    internal const int ReadAhead = 8;

    internal ContextualEmbeddingTransformer(PretrainedEncoder encoder, ContextualEmbeddingOptions options)
        : base(Inputs(options), Outputs(encoder, options), options.BatchSize * ReadAhead)
    {
        _encoder = encoder;
        _options = options.ResolvedFor(encoder); // saved with the resolved values: a loaded model embeds identically
        _engine = new EngineEmbedder(encoder, _options.ToSettings(encoder), _options.InferenceEngine, _options.TokenLevel);
        _embedder = _engine.Embedder;
    }

    /// <summary>
    /// The runtime computing the vectors: <see cref="InferenceEngine.OnnxRuntime"/> (or the opt-in <see cref="InferenceEngine.OnnxRuntimeInt8"/>) or <see cref="InferenceEngine.LibTorch"/>,
    /// resolved from <see cref="ContextualEmbeddingOptions.InferenceEngine"/> (Auto falls back to LibTorch for a recurrent
    /// encoder, a GPU device or token-level output).
    /// </summary>
    public InferenceEngine InferenceEngine => _engine.Engine;

    /// <summary>
    /// The same embeddings computed on another engine (e.g. <see cref="InferenceEngine.LibTorch"/> for a model saved with
    /// the default); the encoder is shared, not copied.
    /// </summary>
    /// <exception cref="NotSupportedException"><paramref name="engine"/> is OnnxRuntime and cannot run this model.</exception>
    public ContextualEmbeddingTransformer WithInferenceEngine(InferenceEngine engine)
    {
        var options = _options.ResolvedFor(_encoder);
        options.InferenceEngine = engine;
        return new ContextualEmbeddingTransformer(_encoder, options);
    }

    /// <summary>The same embeddings from a copy of the encoder on <paramref name="device"/> (see <see cref="DeviceCatalog.WithDevice"/>).</summary>
    internal ContextualEmbeddingTransformer CopyTo(TorchSharp.torch.Device device) => new(_encoder.CopyTo(device), _options.ResolvedFor(_encoder));

    /// <summary>Length of the produced vectors.</summary>
    public int Dimension => _embedder.Width;

    /// <summary>The encoder in use.</summary>
    public PretrainedEncoder Encoder => _encoder;

    /// <summary>The options the transformer was built with, unset pooling, normalisation and token budget resolved to the encoder's own.</summary>
    internal ContextualEmbeddingOptions Options => _options;

    /// <summary>
    /// Writes the encoder as an ONNX model whose output "sentence_embedding" equals this column (same pooling, layers and
    /// normalisation) for the same token ids. Token-level and windowed embeddings cannot be exported.
    /// </summary>
    public void WriteOnnx(Stream stream, OnnxExportOptions? options = null) => TransferOnnxExport.Write(this, stream, options);

    /// <summary>Writes the ONNX model to <paramref name="path"/> atomically (temp file, then rename); see <see cref="WriteOnnx"/>.</summary>
    public void SaveAsOnnx(string path, OnnxExportOptions? options = null) => TransferOnnxExport.Save(path, stream => WriteOnnx(stream, options));

    private static BatchInputColumn[] Inputs(ContextualEmbeddingOptions options) => options.SecondInputColumnName is { } second
        ? [new BatchInputColumn(options.InputColumnName, TextDataViewType.Instance), new BatchInputColumn(second, TextDataViewType.Instance)]
        : [new BatchInputColumn(options.InputColumnName, TextDataViewType.Instance)];

    private static BatchOutputColumn[] Outputs(PretrainedEncoder encoder, ContextualEmbeddingOptions options)
    {
        var settings = options.ToSettings(encoder);
        settings.Validate(encoder.Shape);
        if (!options.TokenLevel)
            return [new(options.OutputColumnName, new VectorDataViewType(NumberDataViewType.Single, settings.OutputWidth(encoder.Shape)))];
        if (options.WindowStride > 0) throw new ArgumentOutOfRangeException(nameof(options), "TokenLevel output does not combine windows; set WindowStride to 0.");
        return [new(options.OutputColumnName, new VectorDataViewType(NumberDataViewType.Single)),
                new(options.EffectiveTokensColumnName, new VectorDataViewType(TextDataViewType.Instance))];
    }

    /// <inheritdoc/>
    protected internal override void ComputeBatch(ColumnBatch batch)
    {
        var texts = ToStrings(batch.Input<ReadOnlyMemory<char>>(0));
        var pairs = _options.SecondInputColumnName is null ? null : ToStrings(batch.Input<ReadOnlyMemory<char>>(1));
        var output = batch.Output<VBuffer<float>>(0);
        if (_options.TokenLevel)
        {
            var (tokenVectors, tokens) = _embedder.EmbedTokens(texts, pairs);
            var pieces = batch.Output<VBuffer<ReadOnlyMemory<char>>>(1);
            for (int i = 0; i < tokenVectors.Length; i++)
            {
                output[i] = new VBuffer<float>(tokenVectors[i].Length, tokenVectors[i]);
                pieces[i] = new VBuffer<ReadOnlyMemory<char>>(tokens[i].Length, tokens[i].Select(t => t.AsMemory()).ToArray());
            }
            return;
        }
        var vectors = _embedder.Embed(texts, pairs);
        for (int i = 0; i < vectors.Length; i++) output[i] = new VBuffer<float>(vectors[i].Length, vectors[i]);
    }

    /// <summary>Width of each token's vector in token-level output (the output column holds tokens × this many values).</summary>
    public int TokenWidth => _embedder.TokenWidth;

    private static string[] ToStrings(ReadOnlySpan<ReadOnlyMemory<char>> values)
    {
        var result = new string[values.Length];
        for (int i = 0; i < values.Length; i++) result[i] = values[i].ToString();
        return result;
    }

    /// <inheritdoc/>
    protected override void SaveModel(ModelSaveContext ctx) => ModelPersistence.Save<ContextualEmbeddingTransformer>(ctx, model =>
    {
        var w = model.Writer;
        w.Write(_options.OutputColumnName);
        w.Write(_options.InputColumnName);
        w.Write(_options.SecondInputColumnName ?? "");
        w.Write(_encoder.Name);
        w.Write((int)_options.Pooling!.Value);
        var layers = _options.Layers ?? [];
        w.Write(layers.Length);
        foreach (int l in layers) w.Write(l);
        w.Write((int)_options.Combination);
        var mix = _options.MixWeights ?? [];
        w.Write(mix.Length);
        foreach (float m in mix) w.Write(m);
        w.Write(_options.Normalize!.Value);
        w.Write(_options.MaxTokens ?? 0);
        w.Write((int)_options.Truncation);
        w.Write(_options.WindowStride);
        w.Write(_options.BatchSize);
        w.Write(_options.TokenLevel);
        w.Write(_options.EffectiveTokensColumnName);
        w.Write((int)_options.InferenceEngine);
        EncoderPayload.Write(model, _encoder);
    });

    // v3: the inference engine choice (older files load with Auto); v2: token-level output.
    static PersistedModelInfo IPersistableModel<ContextualEmbeddingTransformer>.ModelInfo { get; } = new("MLNTCEMB", "MLNetTransferEmbeddings", 3, 3, 1);

    static ContextualEmbeddingTransformer IPersistableModel<ContextualEmbeddingTransformer>.Load(PersistedModelReader model)
    {
        var r = model.Reader;
        var options = new ContextualEmbeddingOptions
        {
            OutputColumnName = r.ReadString(),
            InputColumnName = r.ReadString(),
        };
        string second = r.ReadString();
        options.SecondInputColumnName = second.Length == 0 ? null : second;
        string name = r.ReadString();
        options.Pooling = (PoolingMode)r.ReadInt32();
        var layers = new int[r.ReadInt32()];
        for (int i = 0; i < layers.Length; i++) layers[i] = r.ReadInt32();
        options.Layers = layers.Length == 0 ? null : layers;
        options.Combination = (LayerCombination)r.ReadInt32();
        var mix = new float[r.ReadInt32()];
        for (int i = 0; i < mix.Length; i++) mix[i] = r.ReadSingle();
        options.MixWeights = mix.Length == 0 ? null : mix;
        options.Normalize = r.ReadBoolean();
        int maxTokens = r.ReadInt32();
        options.MaxTokens = maxTokens == 0 ? null : maxTokens;
        options.Truncation = (TruncationStrategy)r.ReadInt32();
        options.WindowStride = r.ReadInt32();
        options.BatchSize = r.ReadInt32();
        if (model.VersionWritten >= 2)
        {
            options.TokenLevel = r.ReadBoolean();
            options.TokensColumnName = r.ReadString();
        }
        if (model.VersionWritten >= 3) options.InferenceEngine = (InferenceEngine)r.ReadInt32();
        var encoder = EncoderPayload.ReadEncoder(model, name);
        options.Encoder = encoder;
        return new ContextualEmbeddingTransformer(encoder, options);
    }
}
