using MLNet.Transfer.Checkpoints;
using MLNet.Transfer.Models;
using MLNet.Transfer.Models.Bert;
using MLNet.Transfer.Models.Recurrent;
using MLNet.Transfer.Runtime;
using MLNet.Transfer.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.Transfer.Encoders;

/// <summary>
/// A pretrained encoder with its tokenizer: the embedded BERT-family defaults ("minilm", "arctic-xs"), any Hugging Face
/// BERT directory, or a recurrent model directory (AWD-LSTM, bidirectional LSTM) written by
/// <see cref="Pretraining.RecurrentLanguageModel"/>. Load once, share it between featurizers and trainers.
/// </summary>
/// <example><code>
/// using var encoder = PretrainedEncoder.Load("minilm");
/// float[][] vectors = encoder.Embed(["A great movie.", "Dull."], new EmbeddingSettings { Normalize = true });
/// </code></example>
public sealed class PretrainedEncoder : IDisposable
{
    private readonly object _materializeLock = new();
    private readonly DeferredBertWeights? _deferred;
    private TextEncoder? _model;
    private Device? _device;

    // tokenizerOptions: the directory's or zip's tokenizer settings; null = BERT's defaults with the model's casing.
    private PretrainedEncoder(string name, TextEncoder model, string[] vocabulary, BertWordPieceOptions? tokenizerOptions, Device device)
        : this(name, vocabulary, tokenizerOptions, model.LowerCase)
    {
        _model = model;
        _device = device;
    }

    // An encoder whose TorchSharp module is built from deferred (still on-disk) weights on first use, on the CPU.
    private PretrainedEncoder(string name, DeferredBertWeights deferred, string[] vocabulary, BertWordPieceOptions? tokenizerOptions)
        : this(name, vocabulary, tokenizerOptions, deferred.Config.DoLowerCase)
    {
        _deferred = deferred;
    }

    private PretrainedEncoder(string name, string[] vocabulary, BertWordPieceOptions? tokenizerOptions, bool lowerCase)
    {
        Name = name;
        Vocabulary = vocabulary;
        var options = tokenizerOptions?.Clone() ?? new BertWordPieceOptions { LowerCase = lowerCase };
        if (options.LowerCase != lowerCase)
        {
            // The model's casing wins (e.g. sentence_bert_config.json's do_lower_case); accents keep what they were.
            options.StripAccents = options.EffectiveStripAccents;
            options.LowerCase = lowerCase;
        }
        Tokenizer = BertWordPieceTokenizer.FromTokens(vocabulary, options);
    }

    /// <summary>The embedded name or directory this encoder was loaded from.</summary>
    public string Name { get; }

    /// <summary>The architecture: "bert", "awd-lstm" or "bilstm" (config.json's model_type).</summary>
    public string ModelType => IsMaterialized ? Model.ModelType : "bert";

    /// <summary>The WordPiece vocabulary, by id.</summary>
    public IReadOnlyList<string> Vocabulary { get; }

    /// <summary>The tokenizer matching the model's vocabulary and casing.</summary>
    public BertWordPieceTokenizer Tokenizer { get; }

    /// <summary>
    /// The TorchSharp module (a <see cref="BertModel"/> or a <see cref="RecurrentEncoder"/>; in eval mode after loading). A
    /// BERT loaded on the CPU from a file keeps its weights in the file until this is first read (the ONNX Runtime engine
    /// never reads it), so that an application that only runs inference there never initialises LibTorch.
    /// </summary>
    public TextEncoder Model
    {
        get
        {
            if (Volatile.Read(ref _model) is { } model) return model;
            lock (_materializeLock) return _model ??= Materialize();
        }
    }

    private TextEncoder Materialize()
    {
        LibTorchRequirement.Ensure($"Building the TorchSharp module of '{Name}' (for training, InferenceEngine.LibTorch, token-level output, " +
                                   "bf16 inference, PretrainedEncoder.Embed, Save, Clone or Model)");
        return _deferred!.Materialize();
    }

    /// <summary>Whether <see cref="Model"/> has been built (always, unless the weights were deferred and nothing needed it yet).</summary>
    internal bool IsMaterialized => Volatile.Read(ref _model) is not null;

    /// <summary>The weights still in their file, when <see cref="Model"/> has not been built from them.</summary>
    internal DeferredBertWeights? Deferred => IsMaterialized ? null : _deferred;

    /// <summary>The sizes of the encoder's layers, without building <see cref="Model"/>.</summary>
    internal IEncoderShape Shape => (IEncoderShape?)Volatile.Read(ref _model) ?? new BertShape(_deferred!.Config);

    /// <summary>config.json text of the architecture (<see cref="TextEncoder.ToConfigJson"/>), without building <see cref="Model"/>.</summary>
    internal string ConfigJson => Deferred?.Config.ToJson() ?? Model.ToConfigJson();

    /// <summary>The device the weights live on.</summary>
    public Device Device => _device ??= CPU;

    /// <summary>Width of the top layer's token states.</summary>
    public int HiddenSize => Shape.LayerWidth(Shape.LayerCount);

    /// <summary>
    /// Opt-in bfloat16 inference for a BERT encoder's dense layers (faster on CPUs with bf16 instructions, results
    /// within cosine 0.9999 of fp32; see <see cref="BertModel.UseBFloat16Inference"/> and the README's performance
    /// section for measured figures); training stays fp32.
    /// </summary>
    /// <exception cref="NotSupportedException">The encoder is not a BERT (e.g. a recurrent language model).</exception>
    public void UseBFloat16Inference(bool enabled = true) => Model.UseBFloat16Inference(enabled);

    /// <summary>True after <see cref="UseBFloat16Inference"/>.</summary>
    public bool BFloat16Inference => IsMaterialized && Model.BFloat16Inference;

    /// <summary>Layers above the embeddings (hidden states 0..this).</summary>
    public int LayerCount => Shape.LayerCount;

    /// <summary>Longest sequence, in tokens including [CLS]/[SEP], the model takes at once.</summary>
    public int MaxTokens => Shape.MaxTokens;

    /// <summary>
    /// The model's own sentence-embedding settings (pooling, normalisation, token budget; the rest as
    /// <see cref="EmbeddingSettings"/>' defaults): read from a sentence-transformers directory's modules.json,
    /// 1_Pooling/config.json, Normalize module and sentence_bert_config.json; for the embedded models, the pooling each
    /// was trained with and normalised vectors (see <see cref="EmbeddedModels.RecommendedSettings"/>); otherwise mean
    /// pooling without normalisation. The CLI's <c>embed</c>, <c>TransferEmbeddingGenerator</c> and
    /// <c>ApplyContextualEmbeddings</c> use these when pooling or normalisation is not given. Kept by <see cref="Clone"/> and
    /// <see cref="WithRandomWeights"/>.
    /// </summary>
    public EmbeddingSettings EmbeddingDefaults { get; internal set; } = new();

    /// <summary>
    /// Loads an embedded model ("minilm" = all-MiniLM-L6-v2, "arctic-xs" = snowflake-arctic-embed-xs), a
    /// Hugging Face model directory (config.json, vocab.txt, model.safetensors), a sentence-transformers directory
    /// (modules.json; the transformer's files in the root or its module folder, e.g. 0_Transformer/; its pooling,
    /// normalisation and max_seq_length become <see cref="EmbeddingDefaults"/>), or a recurrent model directory
    /// (config.json with model_type "awd-lstm" or "bilstm"; a saved language model's output layer is ignored), or a
    /// Hugging Face model id (<c>org/name</c>, <c>org/name@revision</c>) already in the local hub cache
    /// (see <see cref="HuggingFaceHubCache"/>; nothing is downloaded).
    /// </summary>
    /// <param name="nameOrDirectory">Embedded model name, directory path or cached hub model id.</param>
    /// <param name="device">"cpu" (default), "cuda" or "cuda:N".</param>
    /// <exception cref="ArgumentException">Neither an embedded name nor an existing directory.</exception>
    /// <exception cref="InvalidDataException">A file is corrupt or does not match the architecture (the message names it).</exception>
    /// <exception cref="NotSupportedException">A sentence-transformers module or pooling mode this library does not reproduce (the message names the file).</exception>
    public static PretrainedEncoder Load(string nameOrDirectory, string? device = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(nameOrDirectory);
        // The CPU is known without initialising LibTorch; a BERT loaded there keeps its weights in their file until needed.
        Func<Device> torchDevice = TorchDevice.IsCpu(device) ? () => CPU : Resolved(TorchDevice.Resolve(device));
        string directory = LocalDirectory(nameOrDirectory);
        if (RecurrentDirectory.IsRecurrentModel(directory))
        {
            LibTorchRequirement.Ensure($"Loading the recurrent model '{nameOrDirectory}'");
            return FromRecurrentCheckpoint(RecurrentDirectory.Read(directory), nameOrDirectory, torchDevice());
        }
        if (SentenceTransformersLayout.IsPresent(directory))
            return FromSentenceTransformers(SentenceTransformersLayout.Read(directory), nameOrDirectory, device, torchDevice);
        if (Directory.Exists(directory))
            return FromBertDirectory(directory, nameOrDirectory, device, torchDevice);
        if (EmbeddedModels.IsKnown(nameOrDirectory))
        {
            var encoder = FromBertDirectory(EmbeddedModels.EnsureDirectory(nameOrDirectory), EmbeddedModels.CanonicalName(nameOrDirectory), device, torchDevice);
            encoder.EmbeddingDefaults = EmbeddedModels.RecommendedSettings(nameOrDirectory);
            return encoder;
        }
        throw new ArgumentException(
            $"Unknown model '{nameOrDirectory}': not an embedded model ({string.Join(", ", EmbeddedModels.Names)}), not an existing directory" +
            (HuggingFaceHubCache.IsModelId(nameOrDirectory)
                ? $" and not in the local Hugging Face hub cache (looked for {HuggingFaceHubCache.ExpectedLocation(nameOrDirectory)}; nothing is downloaded)."
                : "."),
            nameof(nameOrDirectory));
    }

    private static Func<Device> Resolved(Device device) => () => device;

    /// <summary>
    /// Loads a BERT directory: on the CPU with weights that fit the config, the weights stay in model.safetensors until
    /// <see cref="Model"/> is first needed; otherwise they are loaded at once (and a mismatch is reported by name).
    /// </summary>
    private static PretrainedEncoder FromBertDirectory(string directory, string name, string? device, Func<Device> torchDevice,
                                                       Func<BertConfig, BertConfig>? adjust = null)
    {
        var checkpoint = HuggingFaceDirectory.ReadWithoutWeights(directory);
        if (adjust is not null) checkpoint = checkpoint with { Config = adjust(checkpoint.Config) };
        if (TorchDevice.IsCpu(device) &&
            DeferredBertWeights.TryCreate(checkpoint.Config, SafetensorsFile.Open(ModelDirectory.WeightsPath(directory))) is { } deferred)
            return FromDeferred(deferred, checkpoint.Vocabulary, name, checkpoint.TokenizerOptions);
        LibTorchRequirement.Ensure($"Loading '{name}' (its weights are not exactly a BERT encoder's on the CPU, so they go into a TorchSharp module at once)");
        var full = checkpoint with { Weights = Safetensors.Load(ModelDirectory.WeightsPath(directory)) };
        try { return FromCheckpoint(full, name, torchDevice()); }
        finally { foreach (var w in full.Weights.Values) w.Dispose(); }
    }

    /// <summary>An encoder on the CPU whose module is built from <paramref name="deferred"/> when first needed (takes ownership of it).</summary>
    internal static PretrainedEncoder FromDeferred(DeferredBertWeights deferred, IReadOnlyList<string> vocabulary, string name, BertWordPieceOptions? tokenizerOptions)
    {
        try
        {
            if (vocabulary.Count == 0 || vocabulary.Count > deferred.Config.VocabSize)
                throw new InvalidDataException($"{name}: the vocabulary has {vocabulary.Count} tokens but vocab_size is {deferred.Config.VocabSize}.");
            return new PretrainedEncoder(name, deferred, vocabulary.ToArray(), tokenizerOptions);
        }
        catch
        {
            deferred.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Where a model name's files are: the directory itself, or for a hub id (<c>org/name[@revision]</c>) that is neither a
    /// directory nor an embedded name, its snapshot in the local Hugging Face hub cache; otherwise the name unchanged.
    /// </summary>
    internal static string LocalDirectory(string nameOrDirectory) =>
        Directory.Exists(nameOrDirectory) || EmbeddedModels.IsKnown(nameOrDirectory)
            ? nameOrDirectory
            : HuggingFaceHubCache.TryResolve(nameOrDirectory) ?? nameOrDirectory;

    /// <summary>
    /// Loads the transformer of a sentence-transformers directory (from the root or the Transformer module's path) with
    /// the layout's pooling, normalisation and max_seq_length as <see cref="EmbeddingDefaults"/>.
    /// </summary>
    private static PretrainedEncoder FromSentenceTransformers(SentenceTransformersLayout layout, string name, string? device, Func<Device> torchDevice)
    {
        var encoder = FromBertDirectory(layout.TransformerDirectory, name, device, torchDevice,
                                        config => layout.DoLowerCase ? config with { DoLowerCase = true } : config);
        if (layout.WordEmbeddingDimension is int width && width != encoder.HiddenSize)
        {
            encoder.Dispose();
            throw new InvalidDataException($"{layout.PoolingConfigPath}: word_embedding_dimension is {width} but the transformer's hidden size is {encoder.HiddenSize}.");
        }
        encoder.EmbeddingDefaults = new EmbeddingSettings
        {
            Pooling = layout.Pooling, Normalize = layout.Normalize,
            MaxTokens = layout.MaxSeqLength is int max ? Math.Clamp(max, 2, encoder.MaxTokens) : null,
        };
        return encoder;
    }

    /// <summary>Builds an encoder from a checkpoint read from disk (weights are copied; the caller still owns them).</summary>
    internal static PretrainedEncoder FromCheckpoint(ModelCheckpoint<BertConfig> checkpoint, string name, Device device) =>
        FromParts(checkpoint.Config, checkpoint.Vocabulary, checkpoint.Weights,
                  name, device, Path.Combine(checkpoint.Directory, ModelDirectory.WeightsFile), checkpoint.TokenizerOptions);

    /// <summary>Builds a recurrent encoder from a checkpoint read from disk, disposing the checkpoint's tensors.</summary>
    internal static PretrainedEncoder FromRecurrentCheckpoint(ModelCheckpoint<RecurrentConfig> checkpoint, string name, Device device)
    {
        try
        {
            return FromModel(new RecurrentEncoder(checkpoint.Config), checkpoint.Vocabulary, RecurrentDirectory.EncoderWeights(checkpoint.Weights),
                             name, device, Path.Combine(checkpoint.Directory, ModelDirectory.WeightsFile), checkpoint.TokenizerOptions);
        }
        finally
        {
            foreach (var w in checkpoint.Weights.Values) w.Dispose();
        }
    }

    /// <summary>
    /// Builds an encoder from its parts (e.g. read back from a saved ML.NET model). Weights are copied into a new
    /// module; keys under "pooler.", "cls." (heads other models add) are ignored, anything else must match exactly.
    /// </summary>
    /// <param name="config">Architecture.</param>
    /// <param name="vocabulary">WordPiece vocabulary by id.</param>
    /// <param name="weights">Encoder weights with Hugging Face BertModel names (a "bert." prefix is accepted).</param>
    /// <param name="name">Display name.</param>
    /// <param name="device">Target device.</param>
    /// <param name="source">File or stream name for error messages.</param>
    /// <param name="tokenizerOptions">Tokenizer settings (special tokens, accents…); null = BERT's defaults with the config's casing.</param>
    public static PretrainedEncoder FromParts(BertConfig config, IReadOnlyList<string> vocabulary, IReadOnlyDictionary<string, Tensor> weights,
                                              string name, Device device, string source, BertWordPieceOptions? tokenizerOptions = null)
    {
        if (vocabulary.Count == 0 || vocabulary.Count > config.VocabSize)
            throw new InvalidDataException($"{source}: the vocabulary has {vocabulary.Count} tokens but vocab_size is {config.VocabSize}.");
        LibTorchRequirement.Ensure("PretrainedEncoder.FromParts");
        return FromModel(new BertModel(config), vocabulary, weights, name, device, source, tokenizerOptions);
    }

    /// <summary>
    /// Loads <paramref name="weights"/> into the fresh <paramref name="model"/> (taking ownership of it, disposed on
    /// failure), moves it to <paramref name="device"/> in eval mode and wraps it with its vocabulary.
    /// </summary>
    internal static PretrainedEncoder FromModel(TextEncoder model, IReadOnlyList<string> vocabulary, IReadOnlyDictionary<string, Tensor> weights,
                                                string name, Device device, string source, BertWordPieceOptions? tokenizerOptions = null)
    {
        try
        {
            StateDictLoader.Load(model, weights, source, "pooler.", "cls.", "embeddings.position_ids");
            model.to(device);
            model.eval();
            return new PretrainedEncoder(name, model, vocabulary.ToArray(), tokenizerOptions, device);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>An independent copy (own weights) — for fine-tuning without touching a shared encoder.</summary>
    public PretrainedEncoder Clone() => CopyTo(Device);

    /// <summary>An independent copy (own weights) on <paramref name="device"/>.</summary>
    internal PretrainedEncoder CopyTo(Device device)
    {
        var clone = FromModel(EncoderFactory.Create(Model.ToConfigJson(), Tokenizer.LowerCase, Name), Vocabulary, Model.state_dict(), Name, device, Name,
                              Tokenizer.Options);
        clone.EmbeddingDefaults = EmbeddingDefaults;
        return clone;
    }

    /// <summary>
    /// The same architecture, vocabulary and tokenizer with freshly initialised weights (seeded): the no-transfer
    /// baseline a pretrained encoder is compared with.
    /// </summary>
    public PretrainedEncoder WithRandomWeights(int seed = 42)
    {
        string configJson = ConfigJson; // without building this encoder's module, whose weights are not needed
        LibTorchRequirement.Ensure("PretrainedEncoder.WithRandomWeights");
        manual_seed(seed);
        var model = EncoderFactory.Create(configJson, Tokenizer.LowerCase, Name);
        model.to(Device);
        model.eval();
        return new PretrainedEncoder($"{Name} (random weights)", model, Vocabulary.ToArray(), Tokenizer.Options, Device) { EmbeddingDefaults = EmbeddingDefaults };
    }

    /// <summary>
    /// Saves the encoder (including fine-tuned weights) as a model directory that this library can load again: a
    /// Hugging Face BERT directory (which other tools read too) or a recurrent model directory. Each file is written
    /// atomically, the weights last. When <see cref="EmbeddingDefaults"/> are not the plain ones (mean, not normalised,
    /// default length), the sentence-transformers files that declare them are written too (modules.json, 1_Pooling,
    /// 2_Normalize, sentence_bert_config.json), so the directory loads with the same defaults here and in sentence-transformers.
    /// </summary>
    public void Save(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        ModelDirectory.Write(directory, Model.ToConfigJson(), Tokenizer.Options, Model.MaxTokens, Model.state_dict(), Vocabulary);
        var defaults = EmbeddingDefaults;
        bool declared = defaults != new EmbeddingSettings() &&
                        SentenceTransformersLayout.Write(directory, defaults.Pooling, defaults.Normalize, defaults.MaxTokens, Model.LowerCase, HiddenSize);
        string stale = Path.Combine(directory, SentenceTransformersLayout.ModulesFile);
        if (!declared && File.Exists(stale)) File.Delete(stale); // an earlier save's layout would misdescribe this model
    }

    /// <summary>
    /// Embeds <paramref name="texts"/> (and optional second segments <paramref name="pairs"/>) into one vector each,
    /// in input order. See <see cref="EmbeddingSettings"/> for pooling, layers, normalisation and long texts.
    /// </summary>
    /// <exception cref="InvalidOperationException">The application has no LibTorch (this runs on LibTorch; <c>TransferEmbeddingGenerator</c> and <c>ApplyContextualEmbeddings</c> embed on ONNX Runtime).</exception>
    public float[][] Embed(IReadOnlyList<string> texts, EmbeddingSettings? settings = null, IReadOnlyList<string>? pairs = null)
    {
        LibTorchRequirement.Ensure("PretrainedEncoder.Embed (TransferEmbeddingGenerator and ApplyContextualEmbeddings embed on ONNX Runtime instead)");
        return new SentenceEmbedder(this, settings ?? new EmbeddingSettings()).Embed(texts, pairs);
    }

    /// <summary>Wraps an in-memory model (e.g. one built from scratch for pretraining) with its vocabulary; takes ownership of it.</summary>
    internal static PretrainedEncoder FromModel(string name, TextEncoder model, IReadOnlyList<string> vocabulary, Device device,
                                                BertWordPieceOptions? tokenizerOptions = null)
    {
        if (vocabulary.Count == 0 || vocabulary.Count > model.VocabSize)
            throw new ArgumentException($"The vocabulary has {vocabulary.Count} tokens; it must have between 1 and vocab_size ({model.VocabSize}).", nameof(vocabulary));
        return new PretrainedEncoder(name, model, [.. vocabulary], tokenizerOptions, device);
    }

    /// <summary>Releases the model's native memory.</summary>
    public void Dispose()
    {
        _model?.Dispose();
        _deferred?.Dispose();
    }
}
