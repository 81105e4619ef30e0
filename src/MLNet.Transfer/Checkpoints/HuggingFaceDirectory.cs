using MLNet.Transfer.Models;
using MLNet.Transfer.Text;
using static TorchSharp.torch;

namespace MLNet.Transfer.Checkpoints;

/// <summary>
/// Reads and writes Hugging Face model directories: config.json, vocab.txt or tokenizer.json, tokenizer_config.json and
/// model.safetensors. Only safetensors weights are read: pickled pytorch_model.bin files can execute code
/// on load and are refused with instructions to convert.
/// </summary>
public static class HuggingFaceDirectory
{
    /// <summary>Reads a model directory; every problem names the file and what is wrong.</summary>
    public static ModelCheckpoint<BertConfig> Read(string directory)
    {
        var description = ReadWithoutWeights(directory);
        return description with { Weights = Safetensors.Load(ModelDirectory.WeightsPath(directory)) };
    }

    /// <summary>Reads a model directory's config and tokenizer (<see cref="ModelCheckpoint{TConfig}.Weights"/> empty), checking that its weights file is there.</summary>
    internal static ModelCheckpoint<BertConfig> ReadWithoutWeights(string directory)
    {
        string configPath = ModelDirectory.ConfigPath(directory, "a Hugging Face model directory");
        var config = BertConfig.FromJson(File.ReadAllText(configPath), configPath);
        var (vocabulary, tokenizerOptions) = HuggingFaceTokenizerFiles.ReadDirectory(directory);
        config = config with { DoLowerCase = tokenizerOptions.LowerCase };
        ModelDirectory.WeightsPath(directory);
        return new ModelCheckpoint<BertConfig>(directory, config, vocabulary, [], tokenizerOptions);
    }

    /// <summary>
    /// Writes a model directory. Each file is written atomically; weights are written last so a directory
    /// with a complete model.safetensors is complete. <paramref name="tokenizer"/> null = BERT's defaults with the config's casing.
    /// </summary>
    public static void Write(string directory, BertConfig config, IReadOnlyDictionary<string, Tensor> weights, IEnumerable<string> vocabulary,
                             IReadOnlyDictionary<string, string>? metadata = null, BertWordPieceOptions? tokenizer = null) =>
        ModelDirectory.Write(directory, config.ToJson(), tokenizer ?? new BertWordPieceOptions { LowerCase = config.DoLowerCase },
                             config.MaxPositionEmbeddings, weights, vocabulary, metadata);

    /// <summary>
    /// <see cref="Write(string, BertConfig, IReadOnlyDictionary{string, Tensor}, IEnumerable{string}, IReadOnlyDictionary{string, string}?, BertWordPieceOptions?)"/>
    /// with weights given as safetensors entries, without TorchSharp: the same files, byte for byte, for the same values.
    /// </summary>
    internal static void Write(string directory, BertConfig config, IEnumerable<Safetensors.RawTensor> weights, IEnumerable<string> vocabulary,
                               IReadOnlyDictionary<string, string>? metadata = null) =>
        ModelDirectory.Write(directory, config.ToJson(), new BertWordPieceOptions { LowerCase = config.DoLowerCase },
                             config.MaxPositionEmbeddings, weights, vocabulary, metadata);
}
