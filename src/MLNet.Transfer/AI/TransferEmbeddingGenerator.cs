using Microsoft.Extensions.AI;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.Inference;
using MLNet.Transfer.MLNetIntegration;

namespace MLNet.Transfer.AI;

/// <summary>
/// Microsoft.Extensions.AI's <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/> over a <see cref="PretrainedEncoder"/>:
/// any encoder this library loads (the embedded models, a Hugging Face directory, a fine-tuned, SetFit or adapted
/// encoder, or the one inside a saved ML.NET model), for Semantic Kernel, vector stores and RAG code. Vectors are
/// those of <see cref="PretrainedEncoder.Embed"/> with the generator's <see cref="Settings"/>, computed locally without
/// gradients, <see cref="EmbeddingSettings.BatchSize"/> texts per forward pass (grouped by length), on
/// <see cref="InferenceEngine.Auto"/> unless told otherwise (ONNX Runtime over the library's own export of the encoder where
/// it can run it, else LibTorch; a generator made from a transformer or a saved model runs on that transformer's engine).
/// On ONNX Runtime the session is built from the encoder's weights at the first call: after changing the weights (further
/// fine-tuning), create a new generator or choose <see cref="InferenceEngine.LibTorch"/>.
/// </summary>
/// <remarks>
/// Thread-safe: concurrent <see cref="GenerateAsync"/> calls share the weights and run in parallel (the embedder keeps
/// no per-call state); each call runs on the caller's thread and checks its cancellation token before every batch.
/// Do not dispose the generator while calls are running.
/// </remarks>
/// <example><code>
/// using var generator = TransferEmbeddingGenerator.Load("minilm");
/// var embeddings = await generator.GenerateAsync(["A great movie.", "Dull."]);
/// ReadOnlyMemory&lt;float&gt; first = embeddings[0].Vector; // 384 values, unit length
/// </code></example>
public sealed class TransferEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    /// <summary>The provider name in <see cref="Metadata"/>.</summary>
    public const string ProviderName = "MLNet.Transfer";

    private readonly SentenceEmbedder _embedder;
    private readonly bool _ownsEncoder;
    private int _disposed;

    /// <summary>
    /// A generator over an already loaded <paramref name="encoder"/> (e.g. <c>ContextualEmbeddingTransformer.Encoder</c>
    /// of a SetFit or adapted model, or <c>FineTunedTextTransformer.Encoder</c>).
    /// </summary>
    /// <param name="encoder">The encoder.</param>
    /// <param name="settings">Pooling, layers, normalisation, token budget and batch size; null = <see cref="DefaultSettings(PretrainedEncoder)"/>.</param>
    /// <param name="ownsEncoder">Dispose <paramref name="encoder"/> with the generator. Default false: the caller keeps it.</param>
    /// <param name="engine">Where the forward passes run (see <see cref="InferenceEngine"/>); default <see cref="InferenceEngine.Auto"/>.</param>
    /// <exception cref="ArgumentException">A setting does not fit the encoder (the message names it).</exception>
    /// <exception cref="NotSupportedException"><paramref name="engine"/> is an ONNX Runtime engine that cannot run this encoder (the message says why).</exception>
    public TransferEmbeddingGenerator(PretrainedEncoder encoder, EmbeddingSettings? settings = null, bool ownsEncoder = false,
                                      InferenceEngine engine = InferenceEngine.Auto)
    {
        Settings = settings ?? DefaultSettings(encoder);
        var embedder = new EngineEmbedder(encoder, Settings, engine);
        _embedder = embedder.Embedder;
        Engine = embedder.Engine;
        Encoder = encoder;
        _ownsEncoder = ownsEncoder;
        Metadata = new EmbeddingGeneratorMetadata(ProviderName, providerUri: null, defaultModelId: encoder.Name, defaultModelDimensions: _embedder.Width);
    }

    /// <summary>
    /// Loads an embedded model ("minilm", "arctic-xs"), a Hugging Face or recurrent model directory, or a saved ML.NET
    /// model (a .zip file) that contains contextual embeddings; the generator owns what it loads.
    /// </summary>
    /// <param name="model">Embedded model name, model directory, or ML.NET model file.</param>
    /// <param name="settings">
    /// For a name or directory: null = <see cref="DefaultSettings(PretrainedEncoder)"/>. For a model file it must be null: the file's own
    /// settings are used (see <see cref="FromModelFile"/>).
    /// </param>
    /// <param name="device">"cpu" (default), "cuda" or "cuda:N"; a model file always loads on the CPU.</param>
    /// <param name="outputColumnName">For a model file with several embedding columns: the one to use (see <see cref="FromModelFile"/>).</param>
    /// <param name="engine">For a name or directory: where the forward passes run (default <see cref="InferenceEngine.Auto"/>). A model
    /// file runs on the engine saved with it, so it must be null there.</param>
    /// <exception cref="ArgumentException">Unknown model, or settings, a device or an engine given with a model file, or a column without one.</exception>
    public static TransferEmbeddingGenerator Load(string model, EmbeddingSettings? settings = null, string? device = null, string? outputColumnName = null,
                                                  InferenceEngine? engine = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        if (File.Exists(model))
        {
            if (settings is not null)
                throw new ArgumentException($"'{model}' is a saved model, which carries its own embedding settings; leave settings null.", nameof(settings));
            if (device is not null && !device.Equals("cpu", StringComparison.OrdinalIgnoreCase))
                throw new ArgumentException($"A saved model loads on the CPU; device '{device}' is not supported for '{model}'.", nameof(device));
            if (engine is not null)
                throw new ArgumentException($"'{model}' is a saved model, which runs on the inference engine saved with it; leave engine null.", nameof(engine));
            return FromModelFile(model, outputColumnName);
        }
        if (outputColumnName is not null)
            throw new ArgumentException($"outputColumnName selects embeddings in a saved model file, but '{model}' is not a file.", nameof(outputColumnName));
        var encoder = PretrainedEncoder.Load(model, device);
        try { return new TransferEmbeddingGenerator(encoder, settings, ownsEncoder: true, engine ?? InferenceEngine.Auto); }
        catch
        {
            encoder.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A generator giving the vectors of <paramref name="transformer"/> (same encoder, pooling, layers, normalisation,
    /// token budget, windows, batch size and inference engine), sharing its encoder (not disposed with the generator).
    /// </summary>
    /// <exception cref="ArgumentException">The transformer gives token-level output or embeds sentence pairs: not one vector per text.</exception>
    public static TransferEmbeddingGenerator FromTransformer(ContextualEmbeddingTransformer transformer) =>
        FromTransformer(transformer, ownsEncoder: false);

    /// <summary>
    /// Loads a model saved with <c>mlContext.Model.Save</c> and returns a generator giving the vectors of the
    /// <see cref="ContextualEmbeddingTransformer"/> inside it (see <see cref="FromTransformer(ContextualEmbeddingTransformer)"/>);
    /// the generator owns the loaded encoder.
    /// </summary>
    /// <param name="path">The model zip.</param>
    /// <param name="outputColumnName">Which embeddings, when the model has several (their output column); null = the only one.</param>
    /// <exception cref="ArgumentException">The model has no contextual embeddings, several and no column was named, or not that column.</exception>
    public static TransferEmbeddingGenerator FromModelFile(string path, string? outputColumnName = null) =>
        FromTransformer(SavedEmbeddings.Find(path, outputColumnName), ownsEncoder: true);

    private static TransferEmbeddingGenerator FromTransformer(ContextualEmbeddingTransformer transformer, bool ownsEncoder)
    {
        ArgumentNullException.ThrowIfNull(transformer);
        var options = transformer.Options;
        string column = $"The embeddings of column '{options.OutputColumnName}'";
        if (options.TokenLevel)
            throw new ArgumentException($"{column} are token-level (one vector per word piece); an embedding generator gives one vector per text.", nameof(transformer));
        if (options.SecondInputColumnName is not null)
            throw new ArgumentException($"{column} embed sentence pairs (second column '{options.SecondInputColumnName}'); an embedding generator embeds single texts.", nameof(transformer));
        return new TransferEmbeddingGenerator(transformer.Encoder, options.ToSettings(transformer.Encoder), ownsEncoder, options.InferenceEngine);
    }

    /// <summary>
    /// The settings a generator over <paramref name="encoder"/> uses when none are given: the model's own
    /// (<see cref="PretrainedEncoder.EmbeddingDefaults"/>: a sentence-transformers directory's pooling, Normalize module
    /// and max_seq_length; the embedded models' pooling with unit-length vectors), the same defaults as the CLI's
    /// <c>embed</c> and <c>ApplyContextualEmbeddings</c>.
    /// </summary>
    public static EmbeddingSettings DefaultSettings(PretrainedEncoder encoder)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        return encoder.EmbeddingDefaults;
    }

    /// <summary>The encoder producing the vectors.</summary>
    public PretrainedEncoder Encoder { get; }

    /// <summary>The engine the forward passes run on: <see cref="InferenceEngine.OnnxRuntime"/>, <see cref="InferenceEngine.OnnxRuntimeInt8"/> or <see cref="InferenceEngine.LibTorch"/>.</summary>
    public InferenceEngine Engine { get; }

    /// <summary>The settings every call uses.</summary>
    public EmbeddingSettings Settings { get; }

    /// <summary>Length of every vector.</summary>
    public int Dimensions => _embedder.Width;

    /// <summary>Provider <see cref="ProviderName"/>, model id = the encoder's <see cref="PretrainedEncoder.Name"/>, default dimensions = <see cref="Dimensions"/>.</summary>
    public EmbeddingGeneratorMetadata Metadata { get; }

    /// <summary>Embeds <paramref name="values"/>, one <see cref="Embedding{T}"/> per text, in input order.</summary>
    /// <param name="values">The texts (none may be null).</param>
    /// <param name="options">
    /// Optional. <see cref="EmbeddingGenerationOptions.Dimensions"/> must be null or <see cref="Dimensions"/> (the model
    /// gives vectors of one length); <see cref="EmbeddingGenerationOptions.ModelId"/> null or the model id.
    /// </param>
    /// <param name="cancellationToken">Checked before each forward batch; the task is then cancelled.</param>
    /// <exception cref="ArgumentException">Other dimensions or another model id were asked for (thrown, not in the task).</exception>
    /// <exception cref="ObjectDisposedException">The generator was disposed.</exception>
    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null,
                                                                     CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        CheckOptions(options);
        if (cancellationToken.IsCancellationRequested) return Task.FromCanceled<GeneratedEmbeddings<Embedding<float>>>(cancellationToken);
        try
        {
            var vectors = _embedder.Embed(values as IReadOnlyList<string> ?? values.ToArray(), cancellationToken: cancellationToken);
            var created = DateTimeOffset.UtcNow;
            var embeddings = new GeneratedEmbeddings<Embedding<float>>(vectors.Length);
            foreach (var vector in vectors)
                embeddings.Add(new Embedding<float>(vector) { ModelId = Metadata.DefaultModelId, CreatedAt = created });
            return Task.FromResult(embeddings);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<GeneratedEmbeddings<Embedding<float>>>(cancellationToken);
        }
        catch (Exception e)
        {
            return Task.FromException<GeneratedEmbeddings<Embedding<float>>>(e);
        }
    }

    private void CheckOptions(EmbeddingGenerationOptions? options)
    {
        if (options?.Dimensions is int dimensions && dimensions != Dimensions)
            throw new ArgumentException(
                $"Model '{Metadata.DefaultModelId}' gives {Dimensions}-dimensional vectors; EmbeddingGenerationOptions.Dimensions = {dimensions} " +
                $"is not supported (leave it null or set it to {Dimensions}).", nameof(options));
        if (options?.ModelId is { } modelId && modelId != Metadata.DefaultModelId)
            throw new ArgumentException(
                $"This generator serves model '{Metadata.DefaultModelId}' only; EmbeddingGenerationOptions.ModelId = '{modelId}' is not available.", nameof(options));
    }

    /// <summary>
    /// <see cref="EmbeddingGeneratorMetadata"/>, the <see cref="PretrainedEncoder"/>, the <see cref="EmbeddingSettings"/>,
    /// or the generator itself (for any type it is); null for other types or a non-null key.
    /// </summary>
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null) return null;
        if (serviceType == typeof(EmbeddingGeneratorMetadata)) return Metadata;
        if (serviceType == typeof(PretrainedEncoder)) return Encoder;
        if (serviceType == typeof(EmbeddingSettings)) return Settings;
        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    /// <summary>Disposes the encoder if the generator owns it (it loaded it); later calls throw <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0 && _ownsEncoder) Encoder.Dispose();
    }
}
