using System.Text.Json;
using MLNet.Transfer.Tests.Cli;

namespace MLNet.Transfer.Tests.Gpt1;

/// <summary><c>train --task multiple-choice</c>, then evaluate and predict on the model (tiny random encoder).</summary>
[NonParallelizable]
[Category("Integration")]
public class MultipleChoiceCliTests
{
    private static readonly string[] Topics = ["sports", "politics", "science", "music"];

    private static string Data(string root, string name, int rows, int seed)
    {
        var random = new Random(seed);
        var lines = new List<string> { "Context\tA\tB\tC\tD\tAnswer" };
        for (int i = 0; i < rows; i++)
        {
            var order = Topics.OrderBy(_ => random.Next()).ToArray();
            string right = Topics[i % 4];
            lines.Add($"story {i} about {right} and more\t{string.Join('\t', order)}\t{Array.IndexOf(order, right)}");
        }
        string path = Path.Combine(root, name);
        File.WriteAllLines(path, lines);
        return path;
    }

    [Test]
    public void TrainEvaluateAndPredictAMultipleChoiceModel()
    {
        using var temp = TestModels.TempDir();
        string model = TestModels.TinyModelDirectory(temp.Path), zip = Path.Combine(temp.Path, "choice.zip");
        string train = Data(temp.Path, "train.tsv", 24, 1), valid = Data(temp.Path, "valid.tsv", 8, 2);
        string[] columns = ["--text-col", "Context", "--candidate-cols", "A,B,C,D", "--label-col", "Answer"];

        var trained = InProcessCli.Run(["train", "--task", "multiple-choice", "--train", train, "--valid", valid, .. columns, "--model", model,
                                        "--epochs", "1", "--batch-size", "4", "--json", "--output", zip]);
        Assert.That(trained.Code, Is.EqualTo(0), trained.Err);
        var trainMetrics = JsonDocument.Parse(trained.Out.Trim().Split('\n')[^1]).RootElement;
        Assert.That(trainMetrics.EnumerateObject().Select(p => p.Name), Is.EqualTo(new[] { "MicroAccuracy", "MacroAccuracy", "LogLoss", "Warnings" }));

        var evaluated = InProcessCli.Run("evaluate", "--model-file", zip, "--test", valid, "--json");
        Assert.That(evaluated.Code, Is.EqualTo(0), evaluated.Err);
        var metrics = JsonDocument.Parse(evaluated.Out.Trim()).RootElement;
        Assert.That(metrics.EnumerateObject().Select(p => p.Name), Is.EqualTo(new[] { "MicroAccuracy", "MacroAccuracy", "LogLoss" }));
        Assert.That(metrics.GetProperty("LogLoss").GetDouble(), Is.EqualTo(trainMetrics.GetProperty("LogLoss").GetDouble()).Within(1e-9), "the saved model scores the validation file as trained");

        var predicted = InProcessCli.Run("predict", "--model-file", zip, "--text", "a story about music\tsports\tmusic\tscience\tpolitics", "--json");
        Assert.That(predicted.Code, Is.EqualTo(0), predicted.Err);
        var row = JsonDocument.Parse(predicted.Out.Trim()).RootElement;
        var scores = row.GetProperty("Score").EnumerateArray().Select(s => s.GetDouble()).ToArray();
        Assert.That(scores, Has.Length.EqualTo(4));
        Assert.That(scores.Sum(), Is.EqualTo(1).Within(1e-5));
        int best = row.GetProperty("PredictedLabel").GetInt32();
        Assert.That(best, Is.EqualTo(Array.IndexOf(scores, scores.Max())));
        Assert.That(row.GetProperty("Candidate").GetString(), Is.EqualTo(new[] { "sports", "music", "science", "politics" }[best]));

        File.WriteAllText(Path.Combine(temp.Path, "bad.tsv"), "Context\tA\tB\tC\tD\tAnswer\nx\ta\tb\tc\td\t1\ny\ta\tb\tc\td\t4\n");
        foreach (var (args, message) in new (string[], string)[]
        {
            (["train", "--task", "multiple-choice", "--train", Path.Combine(temp.Path, "bad.tsv"), "--valid", valid, .. columns, "--model", model, "--output", zip + "2"], "line 3: label '4' in column 'Answer' is not a candidate index from 0 to 3"),
            (["train", "--task", "multiple-choice", "--train", train, "--text-col", "Context", "--label-col", "Answer", "--model", model, "--output", zip + "2"], "needs --candidate-cols"),
            (["train", "--task", "multiple-choice", "--train", train, "--text-col", "Context", "--candidate-cols", "A,E", "--label-col", "Answer", "--model", model, "--output", zip + "2"], "'E'"),
            (["predict", "--model-file", zip, "--text", "only a context"], "the context and 4 candidates separated by tabs"),
        })
        {
            var (code, stdout, stderr) = InProcessCli.Run(args);
            Assert.That(code, Is.EqualTo(2), string.Join(' ', args) + " → " + stdout + stderr);
            Assert.That(stderr, Does.StartWith("error: ").And.Contain(message), stderr);
            Assert.That(File.Exists(zip + "2"), Is.False, "no model file");
        }
    }
}
