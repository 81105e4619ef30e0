using System.Text;
using MLNet.Transfer.Checkpoints;
using MLNet.Transfer.Models.Glomo;
using MLNet.Transfer.Pretraining;
using MLNet.Transfer.Text;
using static TorchSharp.torch;

namespace MLNet.Transfer.MLNetIntegration;

/// <summary>
/// Writes a graph-transfer classifier's text side — the tokenizer (vocabulary and settings) and, when graphs are applied,
/// the GLoMo-style graph model (config and weights) — as named streams inside an ML.NET model zip, and reads them back,
/// so a saved model needs no graph model directory.
/// </summary>
internal static class GraphModelPayload
{
    private const string VocabStream = "Graphs.vocab.txt";
    private const string TokenizerStream = "Graphs.tokenizer_config.json";
    private const string ConfigStream = "Graphs.config.json";
    private const string WeightsStream = "Graphs.safetensors";

    /// <summary>Writes <paramref name="tokenizer"/> and, unless null, <paramref name="graphModel"/> (whose tokenizer it is).</summary>
    public static void Write(PersistedModelWriter model, BertWordPieceTokenizer tokenizer, GlomoLanguageModel? graphModel, int maxTokens)
    {
        model.Writer.Write(graphModel is not null);
        model.WriteStream(TokenizerStream, s => s.Write(Encoding.UTF8.GetBytes(HuggingFaceTokenizerFiles.ToTokenizerConfig(tokenizer.Options, maxTokens).ToJsonString())));
        model.WriteStream(VocabStream, s => s.Write(Encoding.UTF8.GetBytes(string.Join("\n", tokenizer.Vocabulary))));
        if (graphModel is null) return;
        model.WriteStream(ConfigStream, s => s.Write(Encoding.UTF8.GetBytes(graphModel.Config.ToJson())));
        model.WriteStream(WeightsStream, s => Safetensors.Save(s, graphModel.Network.state_dict()));
    }

    /// <summary>Reads what <see cref="Write"/> wrote: the tokenizer, and the graph model (on the CPU, owned by the caller) or null.</summary>
    public static (BertWordPieceTokenizer Tokenizer, GlomoLanguageModel? GraphModel) Read(PersistedModelReader model)
    {
        bool hasGraphs = model.Reader.ReadBoolean();
        string source = $"model zip ({model.Info.LoaderSignature})";
        var vocabulary = model.ReadStream(VocabStream, Text).Split('\n');
        var options = HuggingFaceTokenizerFiles.FromTokenizerConfig(model.ReadStream(TokenizerStream, Text));
        if (!hasGraphs) return (BertWordPieceTokenizer.FromTokens(vocabulary, options), null);
        var config = GlomoConfig.FromJson(model.ReadStream(ConfigStream, Text), $"{source} {ConfigStream}");
        var weights = model.ReadStream(WeightsStream, s => Safetensors.Load(s, $"{source} {WeightsStream}"));
        try
        {
            var graphModel = GlomoLanguageModel.FromParts(config, vocabulary, options, weights, $"{source} {WeightsStream}");
            return (graphModel.Tokenizer, graphModel);
        }
        finally
        {
            foreach (var w in weights.Values) w.Dispose();
        }
    }

    private static string Text(Stream stream) => new StreamReader(stream, Encoding.UTF8).ReadToEnd();
}
