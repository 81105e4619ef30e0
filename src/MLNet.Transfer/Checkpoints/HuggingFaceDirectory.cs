using MLNet.Transfer.Models;
using MLNet.Transfer.Text;
using static TorchSharp.torch;

namespace MLNet.Transfer.Checkpoints;

/// <summary>The files of a Hugging Face model directory, read and validated (weights not yet applied).</summary>
/// <param name="Directory">The directory.</param>
/// <param name="Config">Parsed config.json (with do_lower_case from tokenizer_config.json).</param>
/// <param name="Vocabulary">WordPiece vocabulary by id (from tokenizer.json or vocab.txt).</param>
/// <param name="Weights">Tensors from model.safetensors (CPU, float32); the caller owns them.</param>
public sealed record HuggingFaceCheckpoint(string Directory, BertConfig Config, string[] Vocabulary, Dictionary<string, Tensor> Weights);

/// <summary>
/// Reads and writes Hugging Face model directories: config.json, vocab.txt or tokenizer.json, tokenizer_config.json and
/// model.safetensors. Only safetensors weights are read: pickled pytorch_model.bin files can execute code
/// on load and are refused with instructions to convert.
/// </summary>
public static class HuggingFaceDirectory
{
    /// <summary>Weights file name.</summary>
    public const string WeightsFile = "model.safetensors";
    /// <summary>Architecture file name.</summary>
    public const string ConfigFile = "config.json";
    /// <summary>WordPiece vocabulary file name.</summary>
    public const string VocabFile = "vocab.txt";
    /// <summary>Tokenizer settings file name.</summary>
    public const string TokenizerConfigFile = "tokenizer_config.json";

    /// <summary>True when <paramref name="path"/> is a directory holding a config.json.</summary>
    public static bool Looks(string path) => System.IO.Directory.Exists(path) && File.Exists(Path.Combine(path, ConfigFile));

    /// <summary>Reads a model directory; every problem names the file and what is wrong.</summary>
    public static HuggingFaceCheckpoint Read(string directory)
    {
        string configPath = ModelDirectory.ConfigPath(directory, "a Hugging Face model directory");
        var config = BertConfig.FromJson(File.ReadAllText(configPath), configPath);
        var (vocabulary, tokenizerOptions) = HuggingFaceTokenizerFiles.ReadDirectory(directory);
        config = config with { DoLowerCase = tokenizerOptions.LowerCase };
        var weights = Safetensors.Load(ModelDirectory.WeightsPath(directory));
        return new HuggingFaceCheckpoint(directory, config, vocabulary, weights);
    }

    /// <summary>
    /// Writes a model directory. Each file is written atomically; weights are written last so a directory
    /// with a complete model.safetensors is complete.
    /// </summary>
    public static void Write(string directory, BertConfig config, IReadOnlyDictionary<string, Tensor> weights, IEnumerable<string> vocabulary,
                             IReadOnlyDictionary<string, string>? metadata = null) =>
        ModelDirectory.Write(directory, config.ToJson(), config.DoLowerCase, config.MaxPositionEmbeddings, weights, vocabulary, metadata);
}
