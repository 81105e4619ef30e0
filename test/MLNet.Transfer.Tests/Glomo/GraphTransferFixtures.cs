using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transfer.Checkpoints;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.Models.Bert;
using MLNet.Transfer.Tests.Text;
using static TorchSharp.torch;

namespace MLNet.Transfer.Tests.Glomo;

/// <summary>
/// Tiny random models and data for the graph-transfer estimator: a GLoMo-style graph model and a BERT encoder over the
/// same made-up vocabulary (letters a … z), and texts of letters whose class is which letters they use.
/// </summary>
internal static class GraphTransferFixtures
{
    /// <summary>A tiny random graph model (vocabulary <see cref="TestVocab.SmallTokens"/>) saved under <paramref name="root"/>; returns its directory.</summary>
    public static string GraphModelDirectory(string root, int seed = 1)
    {
        string dir = Path.Combine(root, $"glomo-{seed}");
        using var lm = GlomoGraphTests.TinyScratch(seed);
        using (no_grad())
            foreach (var (name, p) in lm.Network.named_parameters())
                if (name.StartsWith("graph_predictor.", StringComparison.Ordinal) && name.EndsWith(".weight", StringComparison.Ordinal)) p.mul_(20); // rows far from uniform
        lm.Save(dir);
        return dir;
    }

    /// <summary>A tiny random BERT encoder over the same vocabulary (its embeddings are the token features).</summary>
    public static PretrainedEncoder Encoder(int seed = 5, string[]? vocabulary = null)
    {
        vocabulary ??= TestVocab.SmallTokens();
        var config = TestModels.TinyConfig(vocabulary.Length);
        manual_seed(seed);
        using var bert = new BertModel(config);
        return PretrainedEncoder.FromParts(config, vocabulary, bert.state_dict(), "tiny-letters", CPU, "tiny-letters");
    }

    /// <summary>The same encoder written as a Hugging Face directory (for the CLI's --model).</summary>
    public static string EncoderDirectory(string root)
    {
        string dir = Path.Combine(root, "tiny-letters");
        using var encoder = Encoder();
        HuggingFaceDirectory.Write(dir, TestModels.TinyConfig(TestVocab.SmallTokens().Length), encoder.Model.state_dict(), TestVocab.SmallTokens());
        return dir;
    }

    private static readonly string[][] Letters = [["a", "b", "c", "d", "e", "f"], ["m", "n", "o", "p", "q", "r"], ["u", "v", "w", "x", "y", "z"]];

    /// <summary>Class names of <see cref="Rows"/>.</summary>
    public static readonly string[] Classes = ["early", "middle", "late"];

    /// <summary><paramref name="count"/> texts of 3–8 letters, each drawn from its class's six letters (classes in turn).</summary>
    public static List<LetterRow> Rows(int count, int seed = 0)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(i =>
        {
            int c = i % Classes.Length;
            var words = Enumerable.Range(0, random.Next(3, 9)).Select(_ => Letters[c][random.Next(Letters[c].Length)]);
            return new LetterRow { Label = Classes[c], Positive = c == 0, Text = string.Join(' ', words) };
        }).ToList();
    }

    /// <summary>The options of a quick fit (the tiny encoder as token features).</summary>
    public static Transfer.MLNetIntegration.GraphTransferOptions Options(string graphDirectory, PretrainedEncoder encoder, GraphSource graphs = GraphSource.Pretrained) => new()
    {
        GraphModelDirectory = graphDirectory, Encoder = encoder, Graphs = graphs, Epochs = 20, BatchSize = 8, LearningRate = 1e-2, HiddenSize = 8, MaxTokens = 16, Seed = 3,
    };

    /// <summary>The Score column's values, row by row.</summary>
    public static float[][] Scores(IDataView scored) => scored.GetColumn<float[]>("Score").ToArray();
}

/// <summary>A labelled text: Label (class name), Positive (the first class, for binary tasks), Text.</summary>
public sealed class LetterRow
{
    public string Label { get; set; } = "";
    public bool Positive { get; set; }
    public string Text { get; set; } = "";
}
