using MLNet.Transfer.Checkpoints;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.Models;
using MLNet.Transfer.Models.Recurrent;
using MLNet.Transfer.Runtime;
using MLNet.Transfer.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.Transfer.Pretraining;

/// <summary>
/// A recurrent language model over a WordPiece vocabulary, for pretraining from scratch and domain adaptation
/// (ULMFiT's stages 1 and 2, ELMo's biLM): the AWD-LSTM or the bidirectional LSTM, with tied embeddings. Saved as a
/// model directory (config.json with model_type "awd-lstm" or "bilstm", vocab.txt, model.safetensors) that
/// <see cref="PretrainedEncoder.Load"/> — and so every verb taking <c>--model &lt;dir&gt;</c> — reads as an encoder
/// for the featurizer and for fine-tuning.
/// </summary>
/// <example><code>
/// using var lm = RecurrentLanguageModel.FromScratch(RecurrentConfig.SmallAwdLstm(tokenizer.VocabSize), tokenizer);
/// var result = LanguageModelTrainer.Train(lm, File.ReadAllLines("reviews.txt"),
///     new PretrainingSettings { Objective = LanguageModelObjective.CausalLm, Steps = 2000, LearningRate = 3e-3 });
/// lm.Save("awd-reviews");               // then PretrainedEncoder.Load("awd-reviews")
/// </code></example>
public sealed class RecurrentLanguageModel : IDisposable, ITrainableLanguageModel
{
    private readonly bool _ownsEncoder;

    private RecurrentLanguageModel(PretrainedEncoder encoder, bool ownsEncoder, int seed)
    {
        Encoder = encoder;
        _ownsEncoder = ownsEncoder;
        manual_seed(seed);
        Module = new LstmLanguageModel(encoder.Model as RecurrentEncoder
            ?? throw new ArgumentException($"'{encoder.Name}' is a {encoder.ModelType} model, not a recurrent one; use {nameof(TransformerLanguageModel)}.", nameof(encoder)));
        Module.eval();
    }

    /// <summary>The encoder (its <see cref="PretrainedEncoder.Model"/> is the module's "encoder" part, trained in place).</summary>
    public PretrainedEncoder Encoder { get; }

    /// <summary>Encoder + tied softmax as one TorchSharp module.</summary>
    public LstmLanguageModel Module { get; }

    /// <summary>The architecture.</summary>
    public RecurrentConfig Config => Module.Encoder.Config;

    /// <summary>Always the causal (next-token) objective; the bidirectional model adds the previous-token one.</summary>
    public LanguageModelObjective Objective => LanguageModelObjective.CausalLm;

    /// <summary>The tokenizer of the vocabulary.</summary>
    public BertWordPieceTokenizer Tokenizer => Encoder.Tokenizer;

    /// <summary>Whether the weights are random (made by <see cref="FromScratch"/>).</summary>
    public bool IsFromScratch { get; private init; }

    /// <summary>A randomly initialised model of shape <paramref name="config"/> over <paramref name="tokenizer"/>'s vocabulary.</summary>
    /// <param name="config">Architecture (see <see cref="RecurrentConfig.SmallAwdLstm"/>, <see cref="RecurrentConfig.SmallBiLstm"/>); vocab_size is raised to the vocabulary size when smaller.</param>
    /// <param name="tokenizer">Supplies the vocabulary, the padding id and the casing.</param>
    /// <param name="seed">Seed of the initialisation.</param>
    /// <param name="device">"cpu" (default), "cuda" or "cuda:N".</param>
    public static RecurrentLanguageModel FromScratch(RecurrentConfig config, BertWordPieceTokenizer tokenizer, int seed = 42, string? device = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(tokenizer);
        LibTorchRequirement.Ensure("A language model (RecurrentLanguageModel.FromScratch)");
        config = config with { VocabSize = Math.Max(config.VocabSize, tokenizer.VocabSize), PadTokenId = tokenizer.PadId, DoLowerCase = tokenizer.LowerCase };
        var torchDevice = TorchDevice.Resolve(device);
        manual_seed(seed);
        var model = new RecurrentEncoder(config);
        model.to(torchDevice);
        model.eval();
        var encoder = PretrainedEncoder.FromModel("scratch", model, tokenizer.Vocabulary, torchDevice);
        return new RecurrentLanguageModel(encoder, ownsEncoder: true, seed) { IsFromScratch = true };
    }

    /// <summary>Adds a fresh (zero) output bias to a loaded recurrent <paramref name="encoder"/>, which stays owned by the caller and is trained in place.</summary>
    public static RecurrentLanguageModel FromEncoder(PretrainedEncoder encoder, int seed = 42)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        LibTorchRequirement.Ensure("A language model (RecurrentLanguageModel.FromEncoder)");
        return new RecurrentLanguageModel(encoder, ownsEncoder: false, seed);
    }

    /// <summary>Loads a directory written by <see cref="Save"/> (or an encoder saved alone: its output bias then starts at zero).</summary>
    /// <param name="directory">The model directory.</param>
    /// <param name="device">"cpu" (default), "cuda" or "cuda:N".</param>
    /// <exception cref="InvalidDataException">A file is corrupt or does not match the architecture (the message names it).</exception>
    public static RecurrentLanguageModel Load(string directory, string? device = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        LibTorchRequirement.Ensure("A language model (RecurrentLanguageModel.Load)");
        var checkpoint = RecurrentDirectory.Read(directory);
        try
        {
            string source = Path.Combine(directory, ModelDirectory.WeightsFile);
            var torchDevice = TorchDevice.Resolve(device);
            var encoder = PretrainedEncoder.FromModel(new RecurrentEncoder(checkpoint.Config), checkpoint.Vocabulary,
                                                      RecurrentDirectory.EncoderWeights(checkpoint.Weights), directory, torchDevice, source);
            var model = new RecurrentLanguageModel(encoder, ownsEncoder: true, seed: 42);
            try
            {
                var head = StateDictLoader.Under(checkpoint.Weights, RecurrentDirectory.DecoderPrefix);
                if (head.Count > 0) StateDictLoader.Load(model.Module.Decoder, head, source);
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
    /// Saves encoder and output bias as one model directory ("encoder.*", "decoder.bias"; the tied output weight is the
    /// embedding matrix, stored once). Written to a temporary folder and renamed into place; an existing model directory is replaced.
    /// </summary>
    public void Save(string directory)
    {
        var config = Config with { Architectures = [Config.Bidirectional ? "BiLstmForBidirectionalLM" : "AwdLstmForCausalLM"] };
        AtomicDirectory.Write(directory, temp =>
            RecurrentDirectory.Write(temp, config, Module.state_dict(), Encoder.Vocabulary,
                                     new Dictionary<string, string> { ["objective"] = Config.Bidirectional ? "next and previous token" : "next token" },
                                     Encoder.Tokenizer.Options));
    }

    /// <summary>
    /// Held-out loss (mean cross-entropy per predicted token, over both directions for the bidirectional model),
    /// perplexity and accuracy on <paramref name="texts"/>, cut into [CLS] … [SEP] windows of <paramref name="maxTokens"/>.
    /// </summary>
    public LanguageModelEvaluation Evaluate(IReadOnlyList<string> texts, int maxTokens = 128)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var windows = PretrainingData.Encode(Tokenizer, texts, maxTokens);
        var examples = PretrainingData.FixedTargets(windows, Objective, new TokenMasking(Tokenizer), seed: 0);
        return LanguageModelEvaluator.Evaluate(this, examples);
    }

    nn.Module ITrainableLanguageModel.Network => Module;
    TextEncoder ITrainableLanguageModel.Encoder => Module.Encoder;
    string ITrainableLanguageModel.EncoderPrefix => RecurrentDirectory.EncoderPrefix;
    nn.Module ITrainableLanguageModel.Head => Module.Decoder;
    bool ITrainableLanguageModel.HeadStartsRandom => false; // a zero bias over a pretrained tied softmax needs no warm-up
    TorchSharp.Modules.Parameter ITrainableLanguageModel.OutputBias => Module.Decoder.get_parameter("bias")!;
    LanguageModelPredictions ITrainableLanguageModel.Predict(TokenBatch tokens, Tensor labels) => Module.Predict(tokens.InputIds, tokens.AttentionMask, labels);

    /// <summary>Releases the output layer, and the encoder when this object created or loaded it.</summary>
    public void Dispose()
    {
        Module.Decoder.Dispose();
        if (_ownsEncoder) Encoder.Dispose();
    }
}
