using MLNet.Transfer.Text;
using static TorchSharp.torch;

namespace MLNet.Transfer.Checkpoints;

/// <summary>The files of a model directory, read and validated (weights not yet applied).</summary>
/// <typeparam name="TConfig">The architecture's config: <see cref="Models.BertConfig"/> or <see cref="Models.Recurrent.RecurrentConfig"/>.</typeparam>
/// <param name="Directory">The directory.</param>
/// <param name="Config">Parsed config.json (with do_lower_case from tokenizer_config.json).</param>
/// <param name="Vocabulary">WordPiece vocabulary by id (from tokenizer.json or vocab.txt).</param>
/// <param name="Weights">Tensors from model.safetensors (CPU); the caller owns them.</param>
/// <param name="TokenizerOptions">Every tokenizer setting the directory declares (tokenizer.json or tokenizer_config.json); null = uncased BERT defaults.</param>
public sealed record ModelCheckpoint<TConfig>(string Directory, TConfig Config, string[] Vocabulary, Dictionary<string, Tensor> Weights,
                                              BertWordPieceOptions? TokenizerOptions = null);

/// <summary>
/// The Hugging Face directory layout every architecture is saved in (<see cref="HuggingFaceDirectory"/> for BERT,
/// <see cref="RecurrentDirectory"/> for the LSTMs): config.json, vocab.txt, tokenizer_config.json and model.safetensors.
/// Writes one, and finds its files for the readers with errors that name the missing file.
/// </summary>
public static class ModelDirectory
{
    /// <summary>Weights file name.</summary>
    public const string WeightsFile = "model.safetensors";
    /// <summary>Architecture file name.</summary>
    public const string ConfigFile = "config.json";
    /// <summary>WordPiece vocabulary file name.</summary>
    public const string VocabFile = "vocab.txt";
    /// <summary>Tokenizer settings file name.</summary>
    public const string TokenizerConfigFile = "tokenizer_config.json";

    /// <summary>True when <paramref name="path"/> is a directory holding a config.json (a model directory of any architecture).</summary>
    public static bool IsModelDirectory(string path) => Directory.Exists(path) && File.Exists(Path.Combine(path, ConfigFile));

    /// <summary>
    /// Writes a model directory. Each file is written atomically; weights are written last so a directory with a
    /// complete model.safetensors is complete. (Wrap the call in <see cref="AtomicDirectory.Write"/> to swap in the
    /// whole directory at once.)
    /// </summary>
    /// <param name="directory">Target directory, created when missing.</param>
    /// <param name="configJson">config.json text (its "model_type" says which architecture reads it back).</param>
    /// <param name="tokenizer">The tokenizer's settings, written to tokenizer_config.json (casing, accents, special tokens).</param>
    /// <param name="maxTokens">Longest sequence, written as the tokenizer's model_max_length.</param>
    /// <param name="weights">State dict to save.</param>
    /// <param name="vocabulary">WordPiece vocabulary by id.</param>
    /// <param name="metadata">Extra safetensors header entries ("format": "pt" is always written).</param>
    public static void Write(string directory, string configJson, BertWordPieceOptions tokenizer, int maxTokens, IReadOnlyDictionary<string, Tensor> weights,
                             IEnumerable<string> vocabulary, IReadOnlyDictionary<string, string>? metadata = null) =>
        Write(directory, configJson, tokenizer, maxTokens, vocabulary, metadata, (path, meta) => Safetensors.Save(path, weights, meta));

    /// <summary>
    /// <see cref="Write(string, string, BertWordPieceOptions, int, IReadOnlyDictionary{string, Tensor}, IEnumerable{string}, IReadOnlyDictionary{string, string}?)"/>
    /// with weights given as safetensors entries (no TorchSharp): the same files, byte for byte, for the same values.
    /// </summary>
    internal static void Write(string directory, string configJson, BertWordPieceOptions tokenizer, int maxTokens, IEnumerable<Safetensors.RawTensor> weights,
                               IEnumerable<string> vocabulary, IReadOnlyDictionary<string, string>? metadata = null) =>
        Write(directory, configJson, tokenizer, maxTokens, vocabulary, metadata, (path, meta) => Safetensors.Save(path, weights, meta));

    private static void Write(string directory, string configJson, BertWordPieceOptions tokenizer, int maxTokens, IEnumerable<string> vocabulary,
                              IReadOnlyDictionary<string, string>? metadata, Action<string, IReadOnlyDictionary<string, string>> writeWeights)
    {
        Directory.CreateDirectory(directory);
        AtomicFile.WriteAllText(Path.Combine(directory, ConfigFile), configJson);
        AtomicFile.WriteAllText(Path.Combine(directory, VocabFile), string.Join("\n", vocabulary) + "\n");
        AtomicFile.WriteAllText(Path.Combine(directory, TokenizerConfigFile),
                                HuggingFaceTokenizerFiles.ToTokenizerConfig(tokenizer, maxTokens).ToJsonString(new() { WriteIndented = true }));
        var meta = new Dictionary<string, string> { ["format"] = "pt" };
        if (metadata is not null) foreach (var (k, v) in metadata) meta[k] = v;
        writeWeights(Path.Combine(directory, WeightsFile), meta);
    }

    /// <summary>The path of <paramref name="directory"/>'s config.json, after checking that both exist.</summary>
    /// <param name="directory">The model directory.</param>
    /// <param name="kind">What the directory should be, for the message when config.json is missing (e.g. "a model directory").</param>
    internal static string ConfigPath(string directory, string kind)
    {
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"Model directory '{directory}' does not exist.");
        string path = Path.Combine(directory, ConfigFile);
        if (!File.Exists(path)) throw new FileNotFoundException($"'{directory}' is not {kind}: {ConfigFile} is missing.", path);
        return path;
    }

    /// <summary>The path of <paramref name="directory"/>'s model.safetensors, after checking that it exists.</summary>
    /// <exception cref="NotSupportedException">Only a pickled pytorch_model.bin is there (the message says how to convert it).</exception>
    internal static string WeightsPath(string directory)
    {
        string path = Path.Combine(directory, WeightsFile);
        if (File.Exists(path)) return path;
        if (File.Exists(Path.Combine(directory, "pytorch_model.bin")))
            throw new NotSupportedException($"{directory}: only {WeightsFile} is read. pytorch_model.bin is a Python pickle, which can run code when loaded; " +
                                            "convert it once with Python: `from transformers import AutoModel; AutoModel.from_pretrained(dir).save_pretrained(dir, safe_serialization=True)`.");
        throw new FileNotFoundException($"{directory}: {WeightsFile} is missing.", path);
    }
}
