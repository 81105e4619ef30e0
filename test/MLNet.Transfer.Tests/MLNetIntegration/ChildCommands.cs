using Microsoft.ML;
using MLNet.Transfer.MLNetIntegration;

namespace MLNet.Transfer.Tests.MLNetIntegration;

/// <summary>Commands run in a child process by persistence tests.</summary>
internal static class ChildCommands
{
    public const string ScoreModel = "score-model";
    public const string ScoreTexts = "score-texts";
    public const string ScoreSentences = "score-sentences";
    public const string ScoreSentencesReportingLibTorch = "score-sentences-report-libtorch";

    /// <summary>Scores <see cref="TextRows.Sample"/> with <paramref name="modelPath"/> in a fresh process and checks <paramref name="column"/> equals <paramref name="expected"/>.</summary>
    public static void AssertFreshProcessScores(string modelPath, string column, IReadOnlyList<string> expected)
    {
        string output = modelPath + ".child.txt";
        var child = ChildProcess.Run(ScoreTexts, modelPath, column, output);
        Assert.That(child.ExitCode, Is.EqualTo(0), child.StandardError);
        Assert.That(File.ReadAllLines(output), Is.EqualTo(expected));
    }

    /// <summary>Loads a text model zip in a fresh MLContext, applies it to <see cref="TextRows.Sample"/> and writes one line per row of <paramref name="column"/>.</summary>
    public static int RunScoreTexts(string modelPath, string column, string outputPath)
    {
        var mlContext = new MLContext(seed: 123).RegisterTransferComponents();
        ITransformer model = mlContext.Model.Load(modelPath, out _);
        File.WriteAllLines(outputPath, TextRows.Column(model.Transform(TextRows.Sample(mlContext)), column));
        return 0;
    }

    /// <summary>Scores <see cref="TaggedSample"/> (words only) with <paramref name="modelPath"/> in a fresh process and checks <paramref name="column"/> equals <paramref name="expected"/>.</summary>
    public static void AssertFreshProcessTags(string modelPath, string column, IReadOnlyList<string> expected)
    {
        string output = modelPath + ".child-tags.txt";
        var child = ChildProcess.Run(ScoreSentences, modelPath, column, output);
        Assert.That(child.ExitCode, Is.EqualTo(0), child.StandardError);
        Assert.That(File.ReadAllLines(output), Is.EqualTo(expected));
    }

    /// <summary>Seeded tagged sentences (Tokens, Tags) for the tagging round trips.</summary>
    public static IDataView TaggedSample(MLContext mlContext) => mlContext.Data.LoadFromTaggedSentences(Tagging.TinyTagging.Sentences(16, 21));

    /// <summary>Loads a model zip in a fresh MLContext, applies it to <see cref="TaggedSample"/> and writes one line per row of <paramref name="column"/>.</summary>
    public static int RunScoreSentences(string modelPath, string column, string outputPath)
    {
        var mlContext = new MLContext(seed: 123).RegisterTransferComponents();
        ITransformer model = mlContext.Model.Load(modelPath, out _);
        File.WriteAllLines(outputPath, TextRows.Column(model.Transform(TaggedSample(mlContext)), column));
        return 0;
    }

    /// <summary>
    /// Scores <see cref="TaggedSample"/> with <paramref name="modelPath"/> in a fresh process, checks <paramref name="column"/>
    /// equals <paramref name="expected"/> and that the process never loaded LibTorch.
    /// </summary>
    public static void AssertFreshProcessTagsWithoutLibTorch(string modelPath, string column, IReadOnlyList<string> expected)
    {
        string output = modelPath + ".child-tags.txt";
        var child = ChildProcess.Run(ScoreSentencesReportingLibTorch, modelPath, column, output);
        Assert.That(child.ExitCode, Is.EqualTo(0), child.StandardError);
        Assert.That(File.ReadAllLines(output), Is.EqualTo(expected));
        Assert.That(child.StandardOutput.Trim(), Is.EqualTo("LibTorch not loaded"), "a model loaded for ONNX Runtime tags without LibTorch");
    }

    /// <summary><see cref="RunScoreSentences"/>, then prints whether the process has loaded LibTorch.</summary>
    public static int RunScoreSentencesReportingLibTorch(string modelPath, string column, string outputPath)
    {
        int code = RunScoreSentences(modelPath, column, outputPath);
        Console.WriteLine(global::MLNet.Transfer.Inference.LibTorchThreads.IsLoaded() ? "LibTorch loaded" : "LibTorch not loaded");
        return code;
    }

    /// <summary>Loads <paramref name="modelPath"/> in a fresh MLContext, scores <see cref="SyntheticData.Rows"/> and writes the fingerprint.</summary>
    public static int RunScoreModel(string modelPath, string outputPath)
    {
        var mlContext = new MLContext(seed: 123);
        TransferComponents.Register(mlContext, typeof(ScaleTransformer).Assembly);
        ITransformer model = mlContext.Model.Load(modelPath, out _);
        IDataView data = mlContext.Data.LoadFromEnumerable(SyntheticData.Rows());
        File.WriteAllLines(outputPath, SyntheticData.Fingerprint(model.Transform(data)));
        return 0;
    }
}
