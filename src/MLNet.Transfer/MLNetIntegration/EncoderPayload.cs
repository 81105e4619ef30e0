using System.Text;
using MLNet.Transfer.Checkpoints;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.Models;
using MLNet.Transfer.Text;
using static TorchSharp.torch;

namespace MLNet.Transfer.MLNetIntegration;

/// <summary>
/// Writes an encoder's architecture, vocabulary and weights as named streams inside an ML.NET model zip, and reads
/// them back, so a saved model needs no cache or model directory.
/// </summary>
internal static class EncoderPayload
{
    private const string ConfigStream = "Encoder.config.json";
    private const string VocabStream = "Encoder.vocab.txt";
    private const string WeightsStream = "Weights.safetensors";
    // Added later: zips without it were saved with BERT's default special tokens and accents following the casing.
    private const string TokenizerStream = "Encoder.tokenizer_config.json";

    /// <summary>
    /// Writes <paramref name="encoder"/>'s architecture (its config.json text, whose model_type says how to rebuild it),
    /// casing, every tokenizer setting (as a tokenizer_config.json) and vocabulary, and <paramref name="weights"/> (any
    /// state dict, e.g. encoder + heads).
    /// </summary>
    public static void Write(PersistedModelWriter model, PretrainedEncoder encoder, IReadOnlyDictionary<string, Tensor> weights)
    {
        model.Writer.Write(encoder.Tokenizer.LowerCase);
        model.WriteStream(ConfigStream, s => s.Write(Encoding.UTF8.GetBytes(encoder.Model.ToConfigJson())));
        model.WriteStream(TokenizerStream, s => s.Write(Encoding.UTF8.GetBytes(
            HuggingFaceTokenizerFiles.ToTokenizerConfig(encoder.Tokenizer.Options, encoder.MaxTokens).ToJsonString())));
        model.WriteStream(VocabStream, s => s.Write(Encoding.UTF8.GetBytes(string.Join("\n", encoder.Vocabulary))));
        model.WriteStream(WeightsStream, s => Safetensors.Save(s, weights));
    }

    /// <summary>
    /// Reads what <see cref="Write"/> wrote: a fresh, untrained encoder of the saved architecture (the caller loads the
    /// weights into it, or into a model around it), the vocabulary, the tokenizer settings and the weights, which the
    /// caller owns and disposes.
    /// </summary>
    public static (TextEncoder Encoder, string[] Vocabulary, BertWordPieceOptions TokenizerOptions, Dictionary<string, Tensor> Weights) Read(
        PersistedModelReader model)
    {
        bool lowerCase = model.Reader.ReadBoolean();
        string source = $"model zip ({model.Info.LoaderSignature})";
        string configJson = model.ReadStream(ConfigStream, s => new StreamReader(s, Encoding.UTF8).ReadToEnd());
        var vocabulary = model.ReadStream(VocabStream, s => new StreamReader(s, Encoding.UTF8).ReadToEnd()).Split('\n');
        var tokenizerOptions = model.StreamNames.Contains(TokenizerStream)
            ? HuggingFaceTokenizerFiles.FromTokenizerConfig(model.ReadStream(TokenizerStream, s => new StreamReader(s, Encoding.UTF8).ReadToEnd()))
            : new BertWordPieceOptions { LowerCase = lowerCase };
        var encoder = EncoderFactory.Create(configJson, lowerCase, $"{source} {ConfigStream}");
        try
        {
            var weights = model.ReadStream(WeightsStream, s => Safetensors.Load(s, $"{source} {WeightsStream}"));
            return (encoder, vocabulary, tokenizerOptions, weights);
        }
        catch
        {
            encoder.Dispose();
            throw;
        }
    }

    /// <summary>Reads an encoder-only payload into a <see cref="PretrainedEncoder"/> on the CPU.</summary>
    public static PretrainedEncoder ReadEncoder(PersistedModelReader model, string name)
    {
        var (encoder, vocabulary, tokenizerOptions, weights) = Read(model);
        try { return PretrainedEncoder.FromModel(encoder, vocabulary, weights, name, CPU, $"model zip {WeightsStream}", tokenizerOptions); }
        finally { foreach (var w in weights.Values) w.Dispose(); }
    }
}
