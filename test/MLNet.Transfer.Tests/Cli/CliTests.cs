using System.Text.Json;
using MLNet.Transfer.Cli;

namespace MLNet.Transfer.Tests.Cli;

/// <summary>The mlnet-transfer contract (README, "Command line"): verbs, JSON shapes, and one-line errors with exit code 2.</summary>
[NonParallelizable]
public class CliTests
{
    private static (int Code, string Out, string Err) Run(params string[] args) => InProcessCli.Run(args);

    [Category("Integration")]
    [Test]
    public void EmbedPrintsOneJsonObjectPerLineMatchingTheReference()
    {
        using var temp = TestModels.TempDir();
        string input = Path.Combine(temp.Path, "lines.txt");
        File.WriteAllLines(input, ["first line", "second line"]);
        var (code, output, _) = Run("embed", "--model", "minilm", "--pooling", "mean", "--normalize", "--json", "--text", "This is an example sentence", "--input", input);
        Assert.That(code, Is.EqualTo(0));
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(3));
        using var json = JsonDocument.Parse(lines[0]);
        Assert.That(json.RootElement.GetProperty("text").GetString(), Is.EqualTo("This is an example sentence"));
        var embedding = json.RootElement.GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        Assert.That(embedding, Has.Length.EqualTo(384));
        Assert.That(embedding[0], Is.EqualTo(0.0677).Within(1e-4));
    }

    [Category("Integration")]
    [Test]
    public void TrainEvaluatePredictWithTheBaselineApproach()
    {
        using var temp = TestModels.TempDir();
        string zip = Path.Combine(temp.Path, "model.zip");
        string train = RepoData.Uci("yelp"), test = RepoData.Uci("imdb");
        var trained = Run("train", "--task", "binary", "--approach", "baseline", "--train", train, "--label-col", "Label", "--text-col", "Text", "--output", zip);
        Assert.That(trained.Code, Is.EqualTo(0), trained.Err);
        Assert.That(trained.Out, Does.Contain("Accuracy"));
        var evaluated = Run("evaluate", "--model-file", zip, "--test", test, "--json");
        Assert.That(evaluated.Code, Is.EqualTo(0), evaluated.Err);
        using var json = JsonDocument.Parse(evaluated.Out.Trim());
        Assert.That(json.RootElement.EnumerateObject().Select(p => p.Name), Is.EqualTo(new[] { "Accuracy", "AreaUnderRocCurve", "F1Score" }));
        Assert.That(json.RootElement.GetProperty("Accuracy").GetDouble(), Is.GreaterThan(0.55)); // bag-of-ngrams across sites: ~0.6
        var predicted = Run("predict", "--model-file", zip, "--text", "I loved every minute of it");
        Assert.That(predicted.Out, Does.Match("label: [01]  score: 0\\.\\d{4}"));
    }

    [Category("Integration")]
    [Test]
    public void BadInputIsOneErrorLineWithExitCodeTwoAndNoPartialFile()
    {
        using var temp = TestModels.TempDir();
        string empty = Path.Combine(temp.Path, "empty.tsv"), junk = Path.Combine(temp.Path, "junk.zip"), output = Path.Combine(temp.Path, "out.zip");
        File.WriteAllText(empty, "Label\tText\n");
        File.WriteAllBytes(junk, Enumerable.Range(0, 3000).Select(i => (byte)(i * 7)).ToArray());
        string yelp = RepoData.Uci("yelp");
        string[][] cases =
        [
            ["train", "--task", "binary", "--train", Path.Combine(temp.Path, "nope.tsv"), "--label-col", "Label", "--text-col", "Text", "--output", output],
            ["train", "--task", "binary", "--train", empty, "--label-col", "Label", "--text-col", "Text", "--output", output],
            ["train", "--task", "binary", "--train", yelp, "--label-col", "Stars", "--text-col", "Text", "--output", output],
            ["train", "--task", "binary", "--train", yelp, "--epochs", "0", "--output", output],
            ["predict", "--model-file", junk, "--text", "hi"],
            ["embed", "--model", "no-such-model", "--pooling", "mean", "--text", "hi"],
            ["embed", "--model", "minilm", "--pooling", "median", "--text", "hi"],
            ["train", "--task", "binary", "--train", yelp, "--epoch", "2", "--output", output],
        ];
        foreach (var args in cases)
        {
            var (code, stdout, stderr) = Run(args);
            string all = (stdout + stderr).Trim();
            Assert.That(code, Is.EqualTo(2), string.Join(' ', args) + " → " + all);
            Assert.That(stderr.Trim().Split('\n'), Has.Length.EqualTo(1), all);
            Assert.That(stderr, Does.StartWith("error: ").And.Not.Contain("   at "), all);
            Assert.That(File.Exists(output), Is.False, "no partial model file");
        }
    }

    [Category("Integration")]
    [Test]
    public void MultiTaskTrainsOneModelEvaluatedAndPredictedPerTask()
    {
        using var temp = TestModels.TempDir();
        string model = TestModels.TinyModelDirectory(temp.Path), zip = Path.Combine(temp.Path, "mt.zip");
        string sentiment = Path.Combine(temp.Path, "sentiment.tsv"), topic = Path.Combine(temp.Path, "topic.tsv");
        File.WriteAllLines(sentiment, File.ReadLines(RepoData.Uci("yelp")).Take(121));
        File.WriteAllLines(topic, ["Text\tTopic", .. Enumerable.Range(0, 90).Select(i => $"text {i}\t{new[] { "sport", "tech", "world" }[i % 3]}")]);
        var trained = Run("train", "--task", "multitask", "--train", $"sentiment={sentiment}:Label:binary", "--train", $"topic={topic}:Topic:multiclass",
                          "--model", model, "--epochs", "1", "--batch-size", "8", "--task-sampling", "temperature", "--output", zip);
        Assert.That(trained.Code, Is.EqualTo(0), trained.Err);
        Assert.That(trained.Out, Does.Contain("sentiment validation metrics").And.Contain("topic validation metrics").And.Contain("MicroAccuracy"));

        var evaluated = Run("evaluate", "--model-file", zip, "--test", $"sentiment={sentiment}", "--test", $"topic={topic}", "--json");
        Assert.That(evaluated.Code, Is.EqualTo(0), evaluated.Err);
        using var json = JsonDocument.Parse(evaluated.Out.Trim());
        Assert.That(json.RootElement.GetProperty("sentiment").EnumerateObject().Select(p => p.Name), Is.EqualTo(new[] { "Accuracy", "AreaUnderRocCurve", "F1Score" }));
        var topicMetrics = json.RootElement.GetProperty("topic");
        Assert.That(topicMetrics.EnumerateObject().Select(p => p.Name), Is.EqualTo(new[] { "MicroAccuracy", "MacroAccuracy", "LogLoss" }));
        // Each task is scored on its own file: accuracies are whole counts of its rows (120 sentences, 90 topic rows).
        double sentimentCorrect = json.RootElement.GetProperty("sentiment").GetProperty("Accuracy").GetDouble() * 120;
        double topicCorrect = topicMetrics.GetProperty("MicroAccuracy").GetDouble() * 90;
        Assert.That(sentimentCorrect, Is.EqualTo(Math.Round(sentimentCorrect)).Within(1e-6), "sentiment accuracy over the 120 sentiment rows");
        Assert.That(topicCorrect, Is.EqualTo(Math.Round(topicCorrect)).Within(1e-6), "topic accuracy over the 90 topic rows");
        Assert.That(topicMetrics.GetProperty("MacroAccuracy").GetDouble(), Is.EqualTo(topicMetrics.GetProperty("MicroAccuracy").GetDouble()).Within(1e-6),
            "30 rows per topic: the mean of the per-class accuracies equals the overall accuracy");

        var predicted = Run("predict", "--model-file", zip, "--text", "I loved it");
        var lines = predicted.Out.Trim().Split('\n');
        Assert.That(lines, Has.Length.EqualTo(2));
        Assert.That(lines[0], Does.Match("^sentiment: label: [01]  score: 0\\.\\d{4}$"));
        Assert.That(lines[1], Does.Match("^topic: label: (sport|tech|world)  score: 0\\.\\d{4}$"));

        var bad = Run("train", "--task", "multitask", "--train", $"sentiment={sentiment}:Label", "--output", zip + "2");
        Assert.That(bad.Code, Is.EqualTo(2));
        Assert.That(bad.Err, Does.Contain("name=path:labelcol:binary|multiclass|regression"));
        var unknown = Run("evaluate", "--model-file", zip, "--test", $"irony={sentiment}");
        Assert.That(unknown.Err, Does.Contain("no task 'irony'").And.Contain("sentiment, topic"));
    }
}
