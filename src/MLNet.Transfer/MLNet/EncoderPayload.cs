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

    /// <summary>Writes config, vocabulary, the casing flag and <paramref name="weights"/> (any state dict, e.g. encoder + heads).</summary>
    public static void Write(PersistedModelWriter model, EncoderConfig config, IReadOnlyList<string> vocabulary, IReadOnlyDictionary<string, Tensor> weights)
    {
        model.Writer.Write(config.DoLowerCase);
        model.WriteStream(ConfigStream, s => s.Write(Encoding.UTF8.GetBytes(config.ToJson())));
        model.WriteStream(VocabStream, s => s.Write(Encoding.UTF8.GetBytes(string.Join("\n", vocabulary))));
        model.WriteStream(WeightsStream, s => Safetensors.Save(s, weights));
    }

    /// <summary>Reads what <see cref="Write"/> wrote; the caller owns (and disposes) the returned weights.</summary>
    public static (EncoderConfig Config, string[] Vocabulary, Dictionary<string, Tensor> Weights) Read(PersistedModelReader model)
    {
        bool lowerCase = model.Reader.ReadBoolean();
        string source = $"model zip ({model.Info.LoaderSignature})";
        var config = EncoderConfig.FromJson(model.ReadStream(ConfigStream, s => new StreamReader(s, Encoding.UTF8).ReadToEnd()), $"{source} {ConfigStream}")
                     with { DoLowerCase = lowerCase };
        var vocabulary = model.ReadStream(VocabStream, s => new StreamReader(s, Encoding.UTF8).ReadToEnd()).Split('\n');
        var weights = model.ReadStream(WeightsStream, s => Safetensors.Load(s, $"{source} {WeightsStream}"));
        return (config, vocabulary, weights);
    }

    /// <summary>Reads an encoder-only payload into a <see cref="PretrainedEncoder"/> on the CPU.</summary>
    public static PretrainedEncoder ReadEncoder(PersistedModelReader model, string name)
    {
        var (config, vocabulary, weights) = Read(model);
        try { return PretrainedEncoder.FromParts(config, vocabulary, weights, name, CPU, $"model zip {WeightsStream}"); }
        finally { foreach (var w in weights.Values) w.Dispose(); }
    }
}
