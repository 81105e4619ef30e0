using MLNet.Transfer.Checkpoints;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.Models;
using MLNet.Transfer.Models.Bert;
using MLNet.Transfer.Runtime;
using MLNet.Transfer.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.Transfer.Pretraining;

/// <summary>
/// A pretrained encoder with a language-model head, for pretraining and domain adaptation. Saved as a Hugging Face
/// <c>BertForMaskedLM</c> (or <c>BertLMHeadModel</c>) directory, which <see cref="PretrainedEncoder.Load"/> — and so
/// every verb taking <c>--model &lt;dir&gt;</c> — reads as a plain encoder (the "cls." head is ignored there).
/// </summary>
/// <example><code>
/// using var lm = TransformerLanguageModel.Load("minilm");
/// var result = LanguageModelTrainer.Train(lm, File.ReadAllLines("reviews.txt"), new PretrainingSettings { Steps = 500 });
/// lm.Save("minilm-reviews");            // then PretrainedEncoder.Load("minilm-reviews")
/// </code></example>
public sealed class TransformerLanguageModel : IDisposable, ITrainableLanguageModel
{
    private const string HeadPrefix = "cls.predictions.";
    private readonly bool _ownsEncoder;

    private TransformerLanguageModel(PretrainedEncoder encoder, LanguageModelObjective objective, bool ownsEncoder, int seed)
    {
        if (encoder.Model is not BertModel bert)
            throw new ArgumentException($"'{encoder.Name}' is a {encoder.ModelType} model; use {nameof(RecurrentLanguageModel)} for recurrent language models.", nameof(encoder));
        if (bert.Config.IsDecoder == true && objective == LanguageModelObjective.MaskedLm)
            throw new ArgumentException($"'{encoder.Name}' is a decoder (is_decoder: causal attention); train it with the causal objective, not the masked one.");
        Encoder = encoder;
        _ownsEncoder = ownsEncoder;
        manual_seed(seed);
        Module = new BertLanguageModel(bert, objective);
        Module.eval();
    }

    /// <summary>The encoder (its <see cref="PretrainedEncoder.Model"/> is the module's "bert" part, trained in place).</summary>
    public PretrainedEncoder Encoder { get; }

    /// <summary>Encoder + head as one TorchSharp module (Hugging Face key names).</summary>
    public BertLanguageModel Module { get; }

    /// <summary>Masked or causal.</summary>
    public LanguageModelObjective Objective => Module.Objective;

    /// <summary>The tokenizer of the encoder's vocabulary.</summary>
    public BertWordPieceTokenizer Tokenizer => Encoder.Tokenizer;

    /// <summary>
    /// Whether the head's weights came from the checkpoint. False for models published without one (e.g. the
    /// embedded sentence-transformers models): the head transform then starts random, so the first held-out loss
    /// is high and mostly measures the untrained head.
    /// </summary>
    public bool HeadLoaded { get; private set; }

    /// <summary>Whether the encoder was created by <see cref="FromScratch"/> (random weights).</summary>
    public bool IsFromScratch { get; private init; }

    /// <summary>Adds a fresh, randomly initialised head to <paramref name="encoder"/>, which stays owned by the caller and is trained in place.</summary>
    /// <param name="encoder">A loaded encoder.</param>
    /// <param name="objective">What the head predicts.</param>
    /// <param name="seed">Seed of the head's initialisation.</param>
    public static TransformerLanguageModel FromEncoder(PretrainedEncoder encoder, LanguageModelObjective objective = LanguageModelObjective.MaskedLm, int seed = 42)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        LibTorchRequirement.Ensure("A language model (TransformerLanguageModel.FromEncoder)");
        return new TransformerLanguageModel(encoder, objective, ownsEncoder: false, seed);
    }

    /// <summary>
    /// Loads an embedded model ("minilm", "arctic-xs"), a Hugging Face directory or a cached hub id (as
    /// <see cref="PretrainedEncoder.Load"/>). A directory written by
    /// <see cref="Save"/> or by Hugging Face <c>BertForMaskedLM</c>/<c>BertForPreTraining</c> brings its head
    /// weights (cls.predictions.*); otherwise the head starts random (<see cref="HeadLoaded"/> is false).
    /// </summary>
    /// <param name="nameOrDirectory">Embedded model name or directory.</param>
    /// <param name="objective">Null: causal for a decoder config (is_decoder), else masked.</param>
    /// <param name="device">"cpu" (default), "cuda" or "cuda:N".</param>
    /// <param name="seed">Seed of a random head's initialisation.</param>
    public static TransformerLanguageModel Load(string nameOrDirectory, LanguageModelObjective? objective = null, string? device = null, int seed = 42)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(nameOrDirectory);
        LibTorchRequirement.Ensure("A language model (TransformerLanguageModel.Load)");
        nameOrDirectory = PretrainedEncoder.LocalDirectory(nameOrDirectory);
        if (!Directory.Exists(nameOrDirectory))
        {
            var embedded = PretrainedEncoder.Load(nameOrDirectory, device);
            return new TransformerLanguageModel(embedded, objective ?? DefaultObjective(embedded), ownsEncoder: true, seed);
        }
        if (RecurrentDirectory.IsRecurrentModel(nameOrDirectory))
            throw new ArgumentException($"'{nameOrDirectory}' holds a recurrent model ({RecurrentDirectory.ModelType(nameOrDirectory)}); load it with {nameof(RecurrentLanguageModel)}.{nameof(RecurrentLanguageModel.Load)}.", nameof(nameOrDirectory));
        var checkpoint = HuggingFaceDirectory.Read(nameOrDirectory);
        try
        {
            var encoder = PretrainedEncoder.FromCheckpoint(checkpoint, nameOrDirectory, TorchDevice.Resolve(device));
            var model = new TransformerLanguageModel(encoder, objective ?? DefaultObjective(encoder), ownsEncoder: true, seed);
            try
            {
                model.HeadLoaded = model.LoadHead(checkpoint.Weights, nameOrDirectory);
                return model;
            }
            catch
            {
                model.Dispose();
                throw;
            }
        }
        finally
        {
            foreach (var w in checkpoint.Weights.Values) w.Dispose();
        }
    }

    /// <summary>
    /// The language-model head of GPT-1's auxiliary fine-tuning objective for a causal <paramref name="encoder"/> (owned by
    /// the caller, whose word embeddings it is tied to): the head saved in the directory the encoder was loaded from
    /// (cls.predictions.*, as <see cref="Save"/> writes it) when there is one, else a fresh head (<see cref="HeadLoaded"/> false).
    /// </summary>
    /// <param name="encoder">A loaded causal (is_decoder) BERT encoder, e.g. a copy of one saved by <see cref="Save"/>.</param>
    /// <param name="seed">Seed of a fresh head's initialisation.</param>
    internal static TransformerLanguageModel ForAuxiliaryObjective(PretrainedEncoder encoder, int seed)
    {
        var model = FromEncoder(encoder, LanguageModelObjective.CausalLm, seed);
        string directory = PretrainedEncoder.LocalDirectory(encoder.Name);
        if (!File.Exists(Path.Combine(directory, ModelDirectory.WeightsFile))) return model;
        var weights = Safetensors.Load(Path.Combine(directory, ModelDirectory.WeightsFile));
        try
        {
            model.HeadLoaded = model.LoadHead(weights, directory);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
        finally
        {
            foreach (var w in weights.Values) w.Dispose();
        }
    }

    /// <summary>Copies the head's weights (cls.predictions.*, without the decoder tied to the embeddings) from a checkpoint; false when it has none.</summary>
    private bool LoadHead(IReadOnlyDictionary<string, Tensor> weights, string directory)
    {
        var head = weights.Where(kv => kv.Key.StartsWith(HeadPrefix, StringComparison.Ordinal) &&
                                       !kv.Key.StartsWith(HeadPrefix + "decoder.", StringComparison.Ordinal)) // tied to the embeddings
                          .ToDictionary(kv => kv.Key["cls.".Length..], kv => kv.Value);
        if (head.Count == 0) return false;
        StateDictLoader.Load(Module.Head, head, Path.Combine(directory, ModelDirectory.WeightsFile));
        return true;
    }

    /// <summary>
    /// A randomly initialised model of shape <paramref name="config"/> over <paramref name="tokenizer"/>'s vocabulary
    /// (e.g. that of an existing model), for pretraining from scratch.
    /// </summary>
    /// <param name="config">Architecture; vocab_size is raised to the vocabulary size when smaller. See <see cref="SmallConfig"/>.</param>
    /// <param name="tokenizer">Supplies the vocabulary and casing.</param>
    /// <param name="objective">What the head predicts; a causal model is saved with is_decoder.</param>
    /// <param name="seed">Seed of the initialisation.</param>
    /// <param name="device">"cpu" (default), "cuda" or "cuda:N".</param>
    public static TransformerLanguageModel FromScratch(BertConfig config, BertWordPieceTokenizer tokenizer,
                                            LanguageModelObjective objective = LanguageModelObjective.MaskedLm, int seed = 42, string? device = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(tokenizer);
        LibTorchRequirement.Ensure("A language model (TransformerLanguageModel.FromScratch)");
        config = config with
        {
            VocabSize = Math.Max(config.VocabSize, tokenizer.VocabSize),
            PadTokenId = tokenizer.PadId,
            DoLowerCase = tokenizer.LowerCase,
            IsDecoder = objective == LanguageModelObjective.CausalLm ? true : null,
        };
        var torchDevice = TorchDevice.Resolve(device);
        manual_seed(seed);
        var model = new BertModel(config);
        model.to(torchDevice);
        model.eval();
        var encoder = PretrainedEncoder.FromModel("scratch", model, tokenizer.Vocabulary, torchDevice);
        return new TransformerLanguageModel(encoder, objective, ownsEncoder: true, seed) { IsFromScratch = true };
    }

    /// <summary>A small BERT for training from scratch on a CPU: 4 layers, hidden 256, 4 heads, FFN 1024, 512 positions.</summary>
    /// <param name="vocabSize">Vocabulary size (the tokenizer's).</param>
    public static BertConfig SmallConfig(int vocabSize) => new()
    {
        VocabSize = vocabSize, HiddenSize = 256, NumHiddenLayers = 4, NumAttentionHeads = 4, IntermediateSize = 1024,
        MaxPositionEmbeddings = 512,
    };

    /// <summary>
    /// Saves encoder and head as one Hugging Face directory (keys "bert.*" and "cls.predictions.*", architectures
    /// BertForMaskedLM or BertLMHeadModel with is_decoder). Written to a temporary folder and renamed into place, so
    /// a failure never leaves a half-written model; an existing model directory is replaced.
    /// </summary>
    public void Save(string directory)
    {
        var config = Module.Encoder.Config with
        {
            Architectures = [Objective == LanguageModelObjective.CausalLm ? "BertLMHeadModel" : "BertForMaskedLM"],
            IsDecoder = Objective == LanguageModelObjective.CausalLm ? true : null,
        };
        AtomicDirectory.Write(directory, temp =>
            HuggingFaceDirectory.Write(temp, config, Module.state_dict(), Encoder.Vocabulary,
                                       new Dictionary<string, string> { ["objective"] = Objective.ToString() }, Encoder.Tokenizer.Options));
    }

    /// <summary>
    /// Held-out loss, perplexity and accuracy on <paramref name="texts"/> with a fixed, seeded masking (masked
    /// objective) or next-token targets (causal), so numbers from different models or times compare.
    /// </summary>
    /// <param name="texts">Texts; long ones are cut into windows of <paramref name="maxTokens"/>.</param>
    /// <param name="maxTokens">Tokens per window including [CLS]/[SEP].</param>
    /// <param name="masking">Masking proportions (default BERT's).</param>
    /// <param name="seed">Seed of the masking.</param>
    public LanguageModelEvaluation Evaluate(IReadOnlyList<string> texts, int maxTokens = 128, MaskingOptions? masking = null, int seed = 42)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var windows = PretrainingData.Encode(Tokenizer, texts, maxTokens);
        var examples = PretrainingData.FixedTargets(windows, Objective, new TokenMasking(Tokenizer, masking), seed);
        return LanguageModelEvaluator.Evaluate(this, examples);
    }

    nn.Module ITrainableLanguageModel.Network => Module;
    TextEncoder ITrainableLanguageModel.Encoder => Module.Encoder;
    string ITrainableLanguageModel.EncoderPrefix => "bert.";
    nn.Module ITrainableLanguageModel.Head => Module.Head;
    bool ITrainableLanguageModel.HeadStartsRandom => !HeadLoaded && !IsFromScratch;
    TorchSharp.Modules.Parameter ITrainableLanguageModel.OutputBias => Module.Head.get_parameter("predictions.bias")!;
    LanguageModelPredictions ITrainableLanguageModel.Predict(TokenBatch tokens, Tensor labels) =>
        Module.Predict(tokens.InputIds, tokens.TokenTypeIds, tokens.AttentionMask, labels);

    /// <summary>Causal for a decoder config (is_decoder), else masked; a non-BERT encoder is refused by the constructor.</summary>
    private static LanguageModelObjective DefaultObjective(PretrainedEncoder encoder) =>
        encoder.Model is BertModel { Config.IsDecoder: true } ? LanguageModelObjective.CausalLm : LanguageModelObjective.MaskedLm;

    /// <summary>Releases the head, and the encoder when this object loaded it.</summary>
    public void Dispose()
    {
        Module.Head.Dispose();
        if (_ownsEncoder) Encoder.Dispose();
    }
}
