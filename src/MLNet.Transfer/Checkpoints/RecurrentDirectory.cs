using MLNet.Transfer.Models;
using MLNet.Transfer.Models.Recurrent;
using MLNet.Transfer.Text;
using static TorchSharp.torch;

namespace MLNet.Transfer.Checkpoints;

/// <summary>
/// Recurrent (AWD-LSTM, bidirectional LSTM) model directories, laid out like Hugging Face ones so every verb's
/// <c>--model &lt;dir&gt;</c> takes them: config.json (with "model_type" "awd-lstm" or "bilstm"), vocab.txt,
/// tokenizer_config.json and model.safetensors. A language model stores its encoder under "encoder." and the output
/// bias under "decoder." (the output weight is the embedding matrix, stored once); an encoder alone has no prefix.
/// </summary>
public static class RecurrentDirectory
{
    /// <summary>Prefix of the encoder's keys in a saved language model.</summary>
    public const string EncoderPrefix = "encoder.";
    /// <summary>Prefix of the language-model head's keys.</summary>
    public const string DecoderPrefix = "decoder.";

    /// <summary>The "model_type" in <paramref name="directory"/>'s config.json ("bert" when absent), or null without a config.json.</summary>
    public static string? ModelType(string directory)
    {
        string path = Path.Combine(directory, ModelDirectory.ConfigFile);
        return File.Exists(path) ? EncoderFactory.ModelType(File.ReadAllText(path), path) : null;
    }

    /// <summary>Whether <paramref name="directory"/> holds a recurrent model (its config.json says awd-lstm or bilstm).</summary>
    public static bool IsRecurrentModel(string directory) => System.IO.Directory.Exists(directory) && ModelType(directory) is { } type && EncoderFactory.IsRecurrent(type);

    /// <summary>Reads a recurrent model directory; every problem names the file and what is wrong.</summary>
    public static ModelCheckpoint<RecurrentConfig> Read(string directory)
    {
        string configPath = ModelDirectory.ConfigPath(directory, "a model directory");
        var (vocabulary, tokenizer) = HuggingFaceTokenizerFiles.ReadDirectory(directory);
        var config = RecurrentConfig.FromJson(File.ReadAllText(configPath), configPath) with { DoLowerCase = tokenizer.LowerCase };
        if (vocabulary.Length == 0 || vocabulary.Length > config.VocabSize)
            throw new InvalidDataException($"{directory}: the vocabulary has {vocabulary.Length} tokens but vocab_size is {config.VocabSize}.");
        return new ModelCheckpoint<RecurrentConfig>(directory, config, vocabulary, Safetensors.Load(ModelDirectory.WeightsPath(directory)), tokenizer);
    }

    /// <summary>
    /// The encoder's tensors of a checkpoint under their encoder-relative names: a language model's "encoder.*" keys
    /// with the prefix dropped (its "decoder.*" head left out), or an encoder checkpoint's keys as they are.
    /// </summary>
    public static Dictionary<string, Tensor> EncoderWeights(IReadOnlyDictionary<string, Tensor> weights) =>
        weights.Keys.Any(k => k.StartsWith(EncoderPrefix, StringComparison.Ordinal))
            ? StateDictLoader.Under(weights, EncoderPrefix)
            : weights.Where(kv => !kv.Key.StartsWith(DecoderPrefix, StringComparison.Ordinal)).ToDictionary(kv => kv.Key, kv => kv.Value);

    /// <summary>Writes a model directory (each file atomically, the weights last).</summary>
    public static void Write(string directory, RecurrentConfig config, IReadOnlyDictionary<string, Tensor> weights, IEnumerable<string> vocabulary,
                             IReadOnlyDictionary<string, string>? metadata = null, BertWordPieceOptions? tokenizer = null) =>
        ModelDirectory.Write(directory, config.ToJson(), tokenizer ?? new BertWordPieceOptions { LowerCase = config.DoLowerCase },
                             config.MaxPositionEmbeddings, weights, vocabulary, metadata);
}
