using MLNet.Transfer.Models.Bert;
using MLNet.Transfer.Models.Recurrent;

namespace MLNet.Transfer.Models;

/// <summary>
/// Builds the right <see cref="TextEncoder"/> for a <c>config.json</c>, dispatching on its "model_type" — the one
/// place that knows which class serves which architecture.
/// </summary>
public static class EncoderFactory
{
    /// <summary>The "model_type" of <paramref name="configJson"/> ("bert" when absent, as in old BERT configs).</summary>
    /// <exception cref="InvalidDataException">Not a JSON object.</exception>
    public static string ModelType(string configJson, string source = "config.json") => ConfigJson.ModelType(configJson, source);

    /// <summary>Whether <paramref name="modelType"/> names a recurrent architecture (awd-lstm, bilstm).</summary>
    public static bool IsRecurrent(string modelType) => modelType is RecurrentConfig.AwdLstmType or RecurrentConfig.BiLstmType;

    /// <summary>A randomly initialised encoder of the architecture in <paramref name="configJson"/> (in training mode, on the CPU).</summary>
    /// <param name="configJson">config.json text.</param>
    /// <param name="lowerCase">The tokenizer's casing (not part of config.json).</param>
    /// <param name="source">Where the text came from, for error messages.</param>
    /// <exception cref="NotSupportedException">An unknown model_type.</exception>
    public static TextEncoder Create(string configJson, bool lowerCase, string source = "config.json")
    {
        string type = ModelType(configJson, source);
        return IsRecurrent(type)
            ? new RecurrentEncoder(RecurrentConfig.FromJson(configJson, source) with { DoLowerCase = lowerCase })
            : new BertModel(BertConfig.FromJson(configJson, source) with { DoLowerCase = lowerCase });
    }
}
