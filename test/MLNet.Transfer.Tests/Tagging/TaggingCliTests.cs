using System.Text.Json;
using MLNet.Transfer.Tests.Cli;
using MLNet.Transfer.Tests.Onnx;
using MLNet.Transfer.Text.Tagging;

namespace MLNet.Transfer.Tests.Tagging;

/// <summary>The tagging command line on a tiny random model: train → evaluate --json → predict, and exit 2 with file and line for bad CoNLL.</summary>
[Category("Unit"), NonParallelizable]
public class TaggingCliTests
{
    private TempDirectory _temp = null!;
    private string _model = null!, _train = null!, _valid = null!, _zip = null!;
    private (int Code, string Out, string Err) _training;

    [OneTimeSetUp]
    public void TrainOnce()
    {
        _temp = TestModels.TempDir();
        _model = TestModels.TinyModelDirectory(_temp.Path);
        _train = Path.Combine(_temp.Path, "train.conll");
        _valid = Path.Combine(_temp.Path, "valid.conll");
        _zip = Path.Combine(_temp.Path, "tagger.zip");
        using (var w = new StreamWriter(_train)) ConllReader.Write(w, TinyTagging.Sentences(96, 1));
        using (var w = new StreamWriter(_valid)) ConllReader.Write(w, TinyTagging.Sentences(32, 2));
        _training = InProcessCli.Run("train", "--task", "tagging", "--train", _train, "--valid", _valid, "--model", _model, "--epochs", "4",
                                     "--lr", "0.002", "--batch-size", "8", "--max-tokens", "32", "--seed", "5", "--json", "--output", _zip);
    }

    [OneTimeTearDown]
    public void CleanUp() => _temp?.Dispose();

    private static Dictionary<string, double> LastJson(string output) =>
        JsonSerializer.Deserialize<Dictionary<string, double>>(output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last(l => l.StartsWith('{')))!;

    [Test]
    public void TrainThenEvaluateJsonGivesExactlyTheFourKeysAndTheSameValidationScores()
    {
        Assert.That(_training.Code, Is.EqualTo(0), _training.Err);
        Assert.That(_training.Out, Does.Contain("all entities").And.Contain("Saved"));
        var trained = LastJson(_training.Out);
        var (code, output, error) = InProcessCli.Run("evaluate", "--model-file", _zip, "--test", _valid, "--json");
        Assert.That(code, Is.EqualTo(0), error);
        var evaluated = LastJson(output);
        Assert.That(evaluated.Keys, Is.EquivalentTo(new[] { "Precision", "Recall", "F1Score", "TokenAccuracy" }));
        Assert.That(evaluated, Is.EqualTo(trained), "the saved model scores the validation file exactly as at the end of training");
        Assert.That(evaluated["F1Score"], Is.InRange(0.9, 1.0));
        Assert.That(evaluated.Values.All(v => v is >= 0 and <= 1), Is.True);

        var (tableCode, table, _) = InProcessCli.Run("evaluate", "--model-file", _zip, "--test", _valid);
        Assert.That(tableCode, Is.EqualTo(0));
        Assert.That(table, Does.Contain("location").And.Contain("person").And.Contain("token accuracy"));
    }

    [Test]
    public void PredictPrintsEachWordWithItsTag()
    {
        var (code, output, error) = InProcessCli.Run("predict", "--model-file", _zip, "--text", "we met  bob in new york");
        Assert.That(code, Is.EqualTo(0), error);
        Assert.That(output.Split('\n', StringSplitOptions.RemoveEmptyEntries),
                    Is.EqualTo(new[] { "we\tO", "met\tO", "bob\tB-person", "in\tO", "new\tB-location", "york\tI-location" }));
    }

    [Test]
    public void PredictJsonGivesTheTagsAndAScorePerWord()
    {
        var (code, output, error) = InProcessCli.Run("predict", "--model-file", _zip, "--text", "we met  bob in new york", "--json");
        Assert.That(code, Is.EqualTo(0), error);
        using var row = System.Text.Json.JsonDocument.Parse(output.Trim());
        var r = row.RootElement;
        Assert.That(r.GetProperty("Tokens").EnumerateArray().Select(t => t.GetString()), Is.EqualTo(new[] { "we", "met", "bob", "in", "new", "york" }));
        Assert.That(r.GetProperty("PredictedLabel").EnumerateArray().Select(t => t.GetString()), Is.EqualTo(new[] { "O", "O", "B-person", "O", "B-location", "I-location" }));
        Assert.That(r.GetProperty("Score").EnumerateArray().Select(t => t.GetDouble()), Has.All.InRange(0.0, 1.0).And.Exactly(6).Items);
    }

    [Test]
    public void ExportWritesAnOnnxTaggerThatTagsLikePredictForBothApproaches()
    {
        Assert.That(_training.Code, Is.EqualTo(0), _training.Err);
        string features = Path.Combine(_temp.Path, "features.zip");
        var trained = InProcessCli.Run("train", "--task", "tagging", "--approach", "features", "--train", _train, "--model", _model, "--epochs", "1",
                                       "--batch-size", "8", "--max-tokens", "32", "--seed", "5", "--output", features);
        Assert.That(trained.Code, Is.EqualTo(0), trained.Err);
        string[] words = ["we", "met", "bob", "in", "new", "york", "and", "Paris"];
        foreach (string zip in new[] { _zip, features })
        {
            string onnx = Path.ChangeExtension(zip, ".onnx");
            var exported = InProcessCli.Run("export", "--model-file", zip, "--output", onnx);
            Assert.That(exported.Code, Is.EqualTo(0), exported.Err);
            var (code, output, error) = InProcessCli.Run("predict", "--model-file", zip, "--text", string.Join(' ', words));
            Assert.That(code, Is.EqualTo(0), error);
            using var host = new OnnxTaggerHost(File.ReadAllBytes(onnx));
            var tagged = host.Tag([words])[0];
            Assert.That(output.Split('\n', StringSplitOptions.RemoveEmptyEntries), Is.EqualTo(words.Zip(tagged.Tags, (w, t) => $"{w}\t{t}")), zip);
        }
    }

    [Test]
    public void MalformedConllExitsWith2NamingFileAndLineAndUnknownTagsAreAWarning()
    {
        string bad = Path.Combine(_temp.Path, "bad.conll");
        File.WriteAllText(bad, "a\tO\n\nb O\n");
        var (code, _, error) = InProcessCli.Run("evaluate", "--model-file", _zip, "--test", bad);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(error, Does.Contain($"{bad}:3:").And.Not.Contain(" at "));

        File.WriteAllText(bad, "a\tO\nb\tB-weapon\n\nc\tB-weapon\n");
        (code, var output, error) = InProcessCli.Run("evaluate", "--model-file", _zip, "--test", bad, "--json");
        Assert.That(code, Is.EqualTo(0), "a tag the model never saw is a warning, not an error");
        Assert.That(error, Does.Contain("warning:").And.Contain(bad).And.Contain("'B-weapon' (2 words, first at line 2)"));
        using (var metrics = System.Text.Json.JsonDocument.Parse(output.Trim()))
        {
            Assert.That(metrics.RootElement.GetProperty("Recall").GetDouble(), Is.EqualTo(0), "two gold entities, neither predictable");
            Assert.That(metrics.RootElement.GetProperty("TokenAccuracy").GetDouble(), Is.LessThanOrEqualTo(1.0 / 3 + 1e-9), "the two weapon words are errors");
        }

        File.WriteAllText(bad, "\n\n");
        string zip = Path.Combine(_temp.Path, "never.zip");
        (code, _, error) = InProcessCli.Run("train", "--task", "tagging", "--train", bad, "--model", _model, "--output", zip);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(error, Does.Contain($"{bad}:"));
        Assert.That(File.Exists(zip), Is.False);

        (code, _, error) = InProcessCli.Run("train", "--task", "tagging", "--train", Path.Combine(_temp.Path, "missing.conll"), "--output", zip);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(error.Trim().Split('\n'), Has.Length.EqualTo(1));
    }

    [Test]
    public void AMultiTaskModelWithATaggingTaskTrainsEvaluatesAndPredictsFromTheCommandLine()
    {
        string sentiment = Path.Combine(_temp.Path, "sentiment.tsv"), zip = Path.Combine(_temp.Path, "mt-ner.zip");
        File.WriteAllLines(sentiment, ["Text\tLabel", .. Enumerable.Range(0, 48).Select(i => i % 2 == 0 ? $"a good and lovely film number {i}\t1" : $"a bad and boring film number {i}\t0")]);
        var (code, output, error) = InProcessCli.Run("train", "--task", "multitask", "--train", $"sentiment={sentiment}:Label:binary", "--train", $"ner={_train}:tagging",
                                                     "--valid", $"ner={_valid}", "--model", _model, "--epochs", "4", "--lr", "0.002", "--batch-size", "8",
                                                     "--max-tokens", "32", "--seed", "5", "--output", zip);
        Assert.That(code, Is.EqualTo(0), error);
        Assert.That(output, Does.Contain("ner validation metrics").And.Contain("sentiment validation metrics").And.Contain("TokenAccuracy"));

        (code, output, error) = InProcessCli.Run("evaluate", "--model-file", zip, "--test", $"ner={_valid}", "--json");
        Assert.That(code, Is.EqualTo(0), error);
        using var json = JsonDocument.Parse(output.Trim());
        var ner = json.RootElement.GetProperty("ner");
        Assert.That(ner.EnumerateObject().Select(p => p.Name), Is.EqualTo(new[] { "Precision", "Recall", "F1Score", "TokenAccuracy" }));
        Assert.That(ner.GetProperty("F1Score").GetDouble(), Is.InRange(0.85, 1.0));

        (code, output, error) = InProcessCli.Run("predict", "--model-file", zip, "--text", "we met bob in new york");
        Assert.That(code, Is.EqualTo(0), error);
        var lines = output.Trim().Split('\n');
        Assert.That(lines, Has.Length.EqualTo(2));
        Assert.That(lines[0], Does.Match("^sentiment: label: [01]  score: 0\\.\\d{4}$"));
        Assert.That(lines[1], Is.EqualTo("ner: we/O met/O bob/B-person in/O new/B-location york/I-location"));

        string bad = Path.Combine(_temp.Path, "unknown-tag.conll");
        File.WriteAllText(bad, "bob\tB-person\nrome\tB-city\n");
        (code, _, error) = InProcessCli.Run("evaluate", "--model-file", zip, "--test", $"ner={bad}");
        Assert.That(code, Is.EqualTo(0), "a tag the model never saw is a warning, not an error");
        Assert.That(error, Does.Contain("warning:").And.Contain("'B-city' (1 word, first at line 2)"));
    }
}
