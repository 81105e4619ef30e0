using MLNet.Transfer.Encoders;
using MLNet.Transfer.Models;
using MLNet.Transfer.Models.Bert;

namespace MLNet.Transfer.Tests;

/// <summary>Models shared by tests: the real embedded encoders (loaded once) and tiny random ones.</summary>
internal static class TestModels
{
    private static readonly Lazy<PretrainedEncoder> MiniLmLazy = new(() => PretrainedEncoder.Load("minilm"));
    private static readonly Lazy<PretrainedEncoder> ArcticLazy = new(() => PretrainedEncoder.Load("arctic-xs"));

    /// <summary>all-MiniLM-L6-v2, loaded once per test run. Do not dispose or train it.</summary>
    public static PretrainedEncoder MiniLm => MiniLmLazy.Value;

    /// <summary>snowflake-arctic-embed-xs, loaded once per test run.</summary>
    public static PretrainedEncoder Arctic => ArcticLazy.Value;

    /// <summary>A tiny BERT shape for fast unit tests (vocabulary size fits the real WordPiece vocab).</summary>
    public static BertConfig TinyConfig(int vocabSize = 30522) => new()
    {
        VocabSize = vocabSize, HiddenSize = 32, NumHiddenLayers = 2, NumAttentionHeads = 4, IntermediateSize = 64,
        MaxPositionEmbeddings = 128, HiddenDropoutProb = 0.1, AttentionProbsDropoutProb = 0.1,
    };

    /// <summary>Writes a tiny random BERT with the real WordPiece vocabulary as a Hugging Face directory under <paramref name="root"/>.</summary>
    public static string TinyModelDirectory(string root)
    {
        string dir = Path.Combine(root, "tiny-model");
        var config = TinyConfig();
        using var bert = new BertModel(config);
        MLNet.Transfer.Checkpoints.HuggingFaceDirectory.Write(dir, config, bert.state_dict(), MiniLm.Vocabulary);
        return dir;
    }

    /// <summary>A temp directory deleted by the returned handle.</summary>
    public static TempDirectory TempDir() => new();
}

/// <summary>A fresh temp directory, deleted on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    /// <summary>The directory path.</summary>
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "mlnet-transfer-tests", Guid.NewGuid().ToString("N"));

    public TempDirectory() => Directory.CreateDirectory(Path);

    public void Dispose()
    {
        try { Directory.Delete(Path, true); } catch (IOException) { }
    }
}
