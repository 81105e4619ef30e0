using System.Text;
using MLNet.Transfer.Checkpoints;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.Models;
using MLNet.Transfer.Runtime;
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
    public static void Write(PersistedModelWriter model, PretrainedEncoder encoder, IReadOnlyDictionary<string, Tensor> weights) =>
        Write(model, encoder, s => Safetensors.Save(s, weights));

    /// <summary>
    /// Writes <paramref name="encoder"/> with its own weights; weights still in their file (see <see cref="PretrainedEncoder.Model"/>)
    /// are copied from it, byte for byte what the built module would write, without building it.
    /// </summary>
    public static void Write(PersistedModelWriter model, PretrainedEncoder encoder)
    {
        var deferred = encoder.Deferred;
        Write(model, encoder, deferred is not null ? deferred.WriteStateDict : s => Safetensors.Save(s, encoder.Model.state_dict()));
    }

    /// <summary>Writes <paramref name="encoder"/>'s description and, with <paramref name="writeWeights"/>, a state dict in safetensors form.</summary>
    public static void Write(PersistedModelWriter model, PretrainedEncoder encoder, Action<Stream> writeWeights)
    {
        model.Writer.Write(encoder.Tokenizer.LowerCase);
        model.WriteStream(ConfigStream, s => s.Write(Encoding.UTF8.GetBytes(encoder.ConfigJson)));
        model.WriteStream(TokenizerStream, s => s.Write(Encoding.UTF8.GetBytes(
            HuggingFaceTokenizerFiles.ToTokenizerConfig(encoder.Tokenizer.Options, encoder.MaxTokens).ToJsonString())));
        model.WriteStream(VocabStream, s => s.Write(Encoding.UTF8.GetBytes(string.Join("\n", encoder.Vocabulary))));
        model.WriteStream(WeightsStream, writeWeights);
    }

    /// <summary>
    /// Reads what <see cref="Write(PersistedModelWriter, PretrainedEncoder)"/> wrote: a fresh, untrained encoder of the saved architecture (the caller loads the
    /// weights into it, or into a model around it), the vocabulary, the tokenizer settings and the weights, which the
    /// caller owns and disposes.
    /// </summary>
    public static (TextEncoder Encoder, string[] Vocabulary, BertWordPieceOptions TokenizerOptions, Dictionary<string, Tensor> Weights) Read(
        PersistedModelReader model) => Read(model, ReadDescription(model));

    /// <summary><see cref="Read(PersistedModelReader)"/> after <see cref="ReadDescription"/>.</summary>
    public static (TextEncoder Encoder, string[] Vocabulary, BertWordPieceOptions TokenizerOptions, Dictionary<string, Tensor> Weights) Read(
        PersistedModelReader model, Description d)
    {
        LibTorchRequirement.Ensure($"Loading {d.Source} (not a BERT encoder that can stay in its weights file: e.g. a recurrent or causal encoder, or a tagger)");
        var encoder = EncoderFactory.Create(d.ConfigJson, d.LowerCase, $"{d.Source} {ConfigStream}");
        try
        {
            var weights = model.ReadStream(WeightsStream, s => Safetensors.Load(s, $"{d.Source} {WeightsStream}"));
            return (encoder, d.Vocabulary, d.TokenizerOptions, weights);
        }
        catch
        {
            encoder.Dispose();
            throw;
        }
    }

    /// <summary>What <see cref="Write(PersistedModelWriter, PretrainedEncoder)"/> wrote apart from the weights.</summary>
    internal sealed record Description(string ConfigJson, bool LowerCase, string[] Vocabulary, BertWordPieceOptions TokenizerOptions, string Source);

    /// <summary>What <see cref="Write(PersistedModelWriter, PretrainedEncoder)"/> wrote apart from the weights: config.json text, casing, vocabulary and tokenizer settings.</summary>
    public static Description ReadDescription(PersistedModelReader model)
    {
        bool lowerCase = model.Reader.ReadBoolean();
        string source = $"model zip ({model.Info.LoaderSignature})";
        string configJson = model.ReadStream(ConfigStream, s => new StreamReader(s, Encoding.UTF8).ReadToEnd());
        var vocabulary = model.ReadStream(VocabStream, s => new StreamReader(s, Encoding.UTF8).ReadToEnd()).Split('\n');
        var tokenizerOptions = model.StreamNames.Contains(TokenizerStream)
            ? HuggingFaceTokenizerFiles.FromTokenizerConfig(model.ReadStream(TokenizerStream, s => new StreamReader(s, Encoding.UTF8).ReadToEnd()))
            : new BertWordPieceOptions { LowerCase = lowerCase };
        return new Description(configJson, lowerCase, vocabulary, tokenizerOptions, source);
    }

    /// <summary>
    /// Reads an encoder-only payload into a <see cref="PretrainedEncoder"/> on the CPU. A BERT's weights stay in a private
    /// temporary copy of the zip entry until its TorchSharp module is needed (see <see cref="PretrainedEncoder.Model"/>).
    /// </summary>
    public static PretrainedEncoder ReadEncoder(PersistedModelReader model, string name)
    {
        var description = ReadDescription(model);
        if (TryReadDeferred(model, description, name) is var (deferred, _)) return deferred;
        var (encoder, vocabulary, tokenizerOptions, weights) = Read(model, description);
        try { return PretrainedEncoder.FromModel(encoder, vocabulary, weights, name, CPU, $"model zip {WeightsStream}", tokenizerOptions); }
        finally { foreach (var w in weights.Values) w.Dispose(); }
    }

    /// <summary>
    /// A BERT encoder on the CPU over a private temporary copy of the zip's weights, built into a TorchSharp module only when
    /// needed (see <see cref="PretrainedEncoder.Model"/>), with the deferred weights (which also hold
    /// <paramref name="extras"/>, e.g. a task model's heads); null when the payload is not such a BERT (the caller reads it at once).
    /// </summary>
    public static (PretrainedEncoder Encoder, DeferredBertWeights Weights)? TryReadDeferred(PersistedModelReader model, Description description, string name,
        Func<BertConfig, IReadOnlyList<(string Name, long[] Shape)>>? extras = null)
    {
        string configSource = $"{description.Source} {ConfigStream}";
        if (EncoderFactory.ModelType(description.ConfigJson, configSource) != "bert") return null;
        var config = BertConfig.FromJson(description.ConfigJson, configSource) with { DoLowerCase = description.LowerCase };
        var file = model.ReadStream(WeightsStream, s => SafetensorsFile.Spool(s, $"model zip {WeightsStream}"));
        if (DeferredBertWeights.TryCreate(config, file, extras?.Invoke(config)) is not { } deferred) return null;
        return (PretrainedEncoder.FromDeferred(deferred, description.Vocabulary, name, description.TokenizerOptions), deferred);
    }
}
