using MLNet.Transfer.Checkpoints;
using MLNet.Transfer.Models;
using MLNet.Transfer.Models.Glomo;
using MLNet.Transfer.Runtime;
using MLNet.Transfer.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.Transfer.Pretraining;

/// <summary>
/// A GLoMo-style (reduced) graph model (after Yang et al., NeurIPS 2018) over a WordPiece vocabulary: a graph predictor
/// trained on unlabelled text jointly with a feature predictor that predicts the next D tokens in both directions
/// from graph-aggregated context. Saved as a model directory (config.json with model_type "glomo", vocab.txt,
/// tokenizer_config.json, model.safetensors). Only its graphs transfer (<see cref="Graphs"/>, and
/// <see cref="Models.Glomo.GraphMixing"/> applies them to another model's token features); it is not an encoder
/// for the other verbs.
/// </summary>
/// <example><code>
/// using var glomo = GlomoLanguageModel.FromScratch(GlomoConfig.Small(tokenizer.VocabSize), tokenizer);
/// LanguageModelTrainer.Train(glomo, File.ReadAllLines("reviews.txt"), new PretrainingSettings { Objective = LanguageModelObjective.CausalLm, LearningRate = 2e-3 });
/// glomo.Save("glomo-reviews");
/// </code></example>
public sealed class GlomoLanguageModel : IDisposable, ITrainableLanguageModel
{
    private GlomoLanguageModel(GlomoNetwork network, BertWordPieceTokenizer tokenizer)
    {
        Network = network;
        Tokenizer = tokenizer;
        Network.eval();
    }

    /// <summary>Embeddings, graph predictor, feature predictor and prediction layer as one TorchSharp module.</summary>
    public GlomoNetwork Network { get; }

    /// <summary>The architecture.</summary>
    public GlomoConfig Config => Network.Config;

    /// <summary>The tokenizer of the vocabulary.</summary>
    public BertWordPieceTokenizer Tokenizer { get; }

    /// <summary>The objective as the trainer knows it: predicting tokens that are not in the input (causal, here in both directions, D steps).</summary>
    public LanguageModelObjective Objective => LanguageModelObjective.CausalLm;

    /// <summary>Whether the weights are random (made by <see cref="FromScratch"/>).</summary>
    public bool IsFromScratch { get; private init; }

    /// <summary>A randomly initialised model of shape <paramref name="config"/> over <paramref name="tokenizer"/>'s vocabulary.</summary>
    /// <param name="config">Architecture (see <see cref="GlomoConfig.Small"/>); vocab_size is raised to the vocabulary size when smaller.</param>
    /// <param name="tokenizer">Supplies the vocabulary, the padding id and the casing.</param>
    /// <param name="seed">Seed of the initialisation.</param>
    /// <param name="device">"cpu" (default), "cuda" or "cuda:N".</param>
    public static GlomoLanguageModel FromScratch(GlomoConfig config, BertWordPieceTokenizer tokenizer, int seed = 42, string? device = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(tokenizer);
        LibTorchRequirement.Ensure("A language model (GlomoLanguageModel.FromScratch)");
        config = config with { VocabSize = Math.Max(config.VocabSize, tokenizer.VocabSize), PadTokenId = tokenizer.PadId, DoLowerCase = tokenizer.LowerCase };
        manual_seed(seed);
        var network = new GlomoNetwork(config);
        network.to(TorchDevice.Resolve(device));
        return new GlomoLanguageModel(network, tokenizer) { IsFromScratch = true };
    }

    /// <summary>Loads a directory written by <see cref="Save"/>.</summary>
    /// <param name="directory">The model directory.</param>
    /// <param name="device">"cpu" (default), "cuda" or "cuda:N".</param>
    /// <exception cref="InvalidDataException">A file is corrupt or does not match the architecture (the message names it).</exception>
    public static GlomoLanguageModel Load(string directory, string? device = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        LibTorchRequirement.Ensure("A language model (GlomoLanguageModel.Load)");
        string configPath = ModelDirectory.ConfigPath(directory, "a GLoMo-style model directory");
        var (vocabulary, options) = HuggingFaceTokenizerFiles.ReadDirectory(directory);
        var config = GlomoConfig.FromJson(File.ReadAllText(configPath), configPath);
        var weights = Safetensors.Load(ModelDirectory.WeightsPath(directory));
        try
        {
            return FromParts(config, vocabulary, options, weights, Path.Combine(directory, ModelDirectory.WeightsFile), device);
        }
        finally
        {
            foreach (var w in weights.Values) w.Dispose();
        }
    }

    /// <summary>
    /// A model from its parts (as <see cref="Load"/> reads them from a directory, or a saved ML.NET model from its zip):
    /// the architecture, the vocabulary with its tokenizer settings, and the weights (copied; the caller keeps them).
    /// </summary>
    /// <exception cref="InvalidDataException">The weights or the vocabulary do not match the architecture (the message names <paramref name="source"/>).</exception>
    public static GlomoLanguageModel FromParts(GlomoConfig config, IReadOnlyList<string> vocabulary, BertWordPieceOptions tokenizerOptions,
                                               IReadOnlyDictionary<string, Tensor> weights, string source, string? device = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        LibTorchRequirement.Ensure("A GLoMo-style model (GlomoLanguageModel.FromParts)");
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentNullException.ThrowIfNull(tokenizerOptions);
        ArgumentNullException.ThrowIfNull(weights);
        config = config with { DoLowerCase = tokenizerOptions.LowerCase };
        if (vocabulary.Count == 0 || vocabulary.Count > config.VocabSize)
            throw new InvalidDataException($"{source}: the vocabulary has {vocabulary.Count} tokens but vocab_size is {config.VocabSize}.");
        var network = new GlomoNetwork(config);
        try
        {
            StateDictLoader.Load(network, weights, source);
        }
        catch
        {
            network.Dispose();
            throw;
        }
        network.to(TorchDevice.Resolve(device));
        return new GlomoLanguageModel(network, BertWordPieceTokenizer.FromTokens(vocabulary, tokenizerOptions));
    }

    /// <summary>Saves the whole model as one directory, written to a temporary folder and renamed into place.</summary>
    public void Save(string directory)
    {
        var config = Config with { Architectures = ["GlomoGraphPredictor"] };
        AtomicDirectory.Write(directory, temp =>
            ModelDirectory.Write(temp, config.ToJson(), Tokenizer.Options, config.MaxPositionEmbeddings, Network.state_dict(), Tokenizer.Vocabulary,
                                 new Dictionary<string, string> { ["objective"] = $"tokens 1..{config.PredictionSteps} ahead, both directions" }));
    }

    /// <summary>
    /// The transfer graphs of a padded batch: [layers, batch, seq, seq], each row non-negative and summing to 1 (see
    /// <see cref="GlomoNetwork.TransferGraphs"/>). Evaluation mode, no gradients.
    /// </summary>
    public Tensor Graphs(TokenBatch tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        using var _ = no_grad();
        bool wasTraining = Network.training;
        Network.eval();
        try
        {
            return Network.TransferGraphs(tokens.InputIds, tokens.AttentionMask);
        }
        finally
        {
            if (wasTraining) Network.train();
        }
    }

    /// <summary>The word pieces of <paramref name="text"/> (with [CLS]/[SEP]) and its transfer graph of layer <paramref name="layer"/> as [seq, seq] values.</summary>
    public (string[] Tokens, float[,] Graph) GraphOf(string text, int layer = 0, int maxTokens = 128)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(layer);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(layer, Config.GraphLayers);
        var encoded = Tokenizer.Encode(text, maxTokens);
        using var scope = NewDisposeScope();
        using var batch = TokenBatch.Create([encoded], Tokenizer.PadId, Network.Device);
        var graph = Graphs(batch)[layer, 0].cpu();
        int n = encoded.InputIds.Length;
        var values = graph.data<float>().ToArray();
        var result = new float[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) result[i, j] = values[i * n + j];
        return (Tokenizer.GetTokens(encoded), result);
    }

    /// <summary>Held-out loss (mean cross-entropy over every predicted token of both directions), perplexity and accuracy on <paramref name="texts"/>.</summary>
    public LanguageModelEvaluation Evaluate(IReadOnlyList<string> texts, int maxTokens = 128)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var windows = PretrainingData.Encode(Tokenizer, texts, maxTokens);
        var examples = PretrainingData.FixedTargets(windows, Objective, new TokenMasking(Tokenizer), seed: 0);
        return LanguageModelEvaluator.Evaluate(this, examples);
    }

    nn.Module ITrainableLanguageModel.Network => Network;
    TextEncoder ITrainableLanguageModel.Encoder => Network;
    string ITrainableLanguageModel.EncoderPrefix => "";
    nn.Module ITrainableLanguageModel.Head => Network.Decoder;
    bool ITrainableLanguageModel.HeadStartsRandom => false;
    TorchSharp.Modules.Parameter ITrainableLanguageModel.OutputBias => Network.Decoder.Bias;

    LanguageModelPredictions ITrainableLanguageModel.Predict(TokenBatch tokens, Tensor labels)
    {
        var (logits, targets) = Network.Predict(tokens.InputIds, tokens.AttentionMask); // its own targets: D steps, both directions
        return new LanguageModelPredictions(logits, targets);
    }

    /// <summary>Releases the network.</summary>
    public void Dispose() => Network.Dispose();
}
