using MLNet.Transfer.Checkpoints;
using MLNet.Transfer.Models;
using MLNet.Transfer.Models.Bert;
using MLNet.Transfer.Runtime;
using MLNet.Transfer.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.Transfer.Encoders;

/// <summary>
/// A pretrained BERT-family encoder with its tokenizer: the embedded defaults ("minilm", "arctic-xs")
/// or any Hugging Face model directory. Load once, share it between featurizers and trainers.
/// </summary>
/// <example><code>
/// using var encoder = PretrainedEncoder.Load("minilm");
/// float[][] vectors = encoder.Embed(["A great movie.", "Dull."], new EmbeddingSettings { Normalize = true });
/// </code></example>
public sealed class PretrainedEncoder : IDisposable
{
    private PretrainedEncoder(string name, EncoderConfig config, string[] vocabulary, BertModel model, Device device)
    {
        Name = name;
        Config = config;
        Vocabulary = vocabulary;
        Model = model;
        Device = device;
        Tokenizer = BertWordPieceTokenizer.FromTokens(vocabulary, new BertWordPieceOptions { LowerCase = config.DoLowerCase });
    }

    /// <summary>The embedded name or directory this encoder was loaded from.</summary>
    public string Name { get; }

    /// <summary>Architecture numbers.</summary>
    public EncoderConfig Config { get; }

    /// <summary>The WordPiece vocabulary, by id.</summary>
    public IReadOnlyList<string> Vocabulary { get; }

    /// <summary>The tokenizer matching the model's vocabulary and casing.</summary>
    public BertWordPieceTokenizer Tokenizer { get; }

    /// <summary>The TorchSharp module (in eval mode after loading).</summary>
    public BertModel Model { get; }

    /// <summary>The device the weights live on.</summary>
    public Device Device { get; }

    /// <summary>Width of each layer's token states.</summary>
    public int HiddenSize => Config.HiddenSize;

    /// <summary>
    /// Loads an embedded model ("minilm" = all-MiniLM-L6-v2, "arctic-xs" = snowflake-arctic-embed-xs) or a
    /// Hugging Face model directory (config.json, vocab.txt, model.safetensors).
    /// </summary>
    /// <param name="nameOrDirectory">Embedded model name or directory path.</param>
    /// <param name="device">"cpu" (default), "cuda" or "cuda:N".</param>
    /// <exception cref="ArgumentException">Neither an embedded name nor an existing directory.</exception>
    /// <exception cref="InvalidDataException">A file is corrupt or does not match the architecture (the message names it).</exception>
    public static PretrainedEncoder Load(string nameOrDirectory, string? device = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(nameOrDirectory);
        var torchDevice = TorchDevice.Resolve(device);
        if (Directory.Exists(nameOrDirectory))
            return FromCheckpoint(HuggingFaceDirectory.Read(nameOrDirectory), nameOrDirectory, torchDevice);
        if (EmbeddedModels.IsKnown(nameOrDirectory))
            return EmbeddedModels.Load(nameOrDirectory, (checkpoint, name) => FromCheckpoint(checkpoint, name, torchDevice));
        throw new ArgumentException(
            $"Unknown model '{nameOrDirectory}': not an embedded model ({string.Join(", ", EmbeddedModels.Names)}) and not an existing directory.",
            nameof(nameOrDirectory));
    }

    /// <summary>Builds an encoder from a checkpoint read from disk (weights are copied; the caller still owns them).</summary>
    internal static PretrainedEncoder FromCheckpoint(HuggingFaceCheckpoint checkpoint, string name, Device device) =>
        FromParts(checkpoint.Config, checkpoint.Vocabulary, checkpoint.Weights,
                  name, device, Path.Combine(checkpoint.Directory, HuggingFaceDirectory.WeightsFile));

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
    public static PretrainedEncoder FromParts(EncoderConfig config, IReadOnlyList<string> vocabulary, IReadOnlyDictionary<string, Tensor> weights,
                                              string name, Device device, string source)
    {
        if (vocabulary.Count == 0 || vocabulary.Count > config.VocabSize)
            throw new InvalidDataException($"{source}: the vocabulary has {vocabulary.Count} tokens but vocab_size is {config.VocabSize}.");
        var model = new BertModel(config);
        try
        {
            StateDictLoader.Load(model, weights, source, "pooler.", "cls.", "embeddings.position_ids");
            model.to(device);
            model.eval();
            return new PretrainedEncoder(name, config, vocabulary.ToArray(), model, device);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>An independent copy (own weights) — for fine-tuning without touching a shared encoder.</summary>
    public PretrainedEncoder Clone() => FromParts(Config, Vocabulary, Model.state_dict(), Name, Device, Name);

    /// <summary>
    /// Saves the encoder (including fine-tuned weights) as a Hugging Face directory that this library,
    /// and other tools that read BERT directories, can load again.
    /// </summary>
    public void Save(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        var weights = Model.state_dict();
        HuggingFaceDirectory.Write(directory, Config, weights, Vocabulary);
    }

    /// <summary>
    /// Embeds <paramref name="texts"/> (and optional second segments <paramref name="pairs"/>) into one vector each,
    /// in input order. See <see cref="EmbeddingSettings"/> for pooling, layers, normalisation and long texts.
    /// </summary>
    public float[][] Embed(IReadOnlyList<string> texts, EmbeddingSettings? settings = null, IReadOnlyList<string>? pairs = null) =>
        new SentenceEmbedder(this, settings ?? new EmbeddingSettings()).Embed(texts, pairs);

    /// <summary>Wraps an in-memory model (e.g. one built from scratch for pretraining) with its vocabulary; takes ownership of it.</summary>
    internal static PretrainedEncoder FromModel(string name, BertModel model, IReadOnlyList<string> vocabulary, Device device)
    {
        if (vocabulary.Count == 0 || vocabulary.Count > model.Config.VocabSize)
            throw new ArgumentException($"The vocabulary has {vocabulary.Count} tokens; it must have between 1 and vocab_size ({model.Config.VocabSize}).", nameof(vocabulary));
        return new PretrainedEncoder(name, model.Config, [.. vocabulary], model, device);
    }

    /// <summary>Releases the model's native memory.</summary>
    public void Dispose() => Model.Dispose();
}
