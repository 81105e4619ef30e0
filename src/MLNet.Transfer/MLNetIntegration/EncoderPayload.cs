using System.Text;
using MLNet.Transfer.Checkpoints;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.Models;
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

    /// <summary>
    /// Writes <paramref name="encoder"/>'s architecture (its config.json text, whose model_type says how to rebuild it),
    /// casing and vocabulary, and <paramref name="weights"/> (any state dict, e.g. encoder + heads).
    /// </summary>
    public static void Write(PersistedModelWriter model, PretrainedEncoder encoder, IReadOnlyDictionary<string, Tensor> weights)
    {
        model.Writer.Write(encoder.Tokenizer.LowerCase);
        model.WriteStream(ConfigStream, s => s.Write(Encoding.UTF8.GetBytes(encoder.Model.ToConfigJson())));
        model.WriteStream(VocabStream, s => s.Write(Encoding.UTF8.GetBytes(string.Join("\n", encoder.Vocabulary))));
        model.WriteStream(WeightsStream, s => Safetensors.Save(s, weights));
    }

    /// <summary>
    /// Reads what <see cref="Write"/> wrote: a fresh, untrained encoder of the saved architecture (the caller loads the
    /// weights into it, or into a model around it), the vocabulary and the weights, which the caller owns and disposes.
    /// </summary>
    public static (TextEncoder Encoder, string[] Vocabulary, Dictionary<string, Tensor> Weights) Read(PersistedModelReader model)
    {
        bool lowerCase = model.Reader.ReadBoolean();
        string source = $"model zip ({model.Info.LoaderSignature})";
        string configJson = model.ReadStream(ConfigStream, s => new StreamReader(s, Encoding.UTF8).ReadToEnd());
        var vocabulary = model.ReadStream(VocabStream, s => new StreamReader(s, Encoding.UTF8).ReadToEnd()).Split('\n');
        var encoder = EncoderFactory.Create(configJson, lowerCase, $"{source} {ConfigStream}");
        try
        {
            var weights = model.ReadStream(WeightsStream, s => Safetensors.Load(s, $"{source} {WeightsStream}"));
            return (encoder, vocabulary, weights);
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
        var (encoder, vocabulary, weights) = Read(model);
        try { return PretrainedEncoder.FromModel(encoder, vocabulary, weights, name, CPU, $"model zip {WeightsStream}"); }
        finally { foreach (var w in weights.Values) w.Dispose(); }
    }
}
