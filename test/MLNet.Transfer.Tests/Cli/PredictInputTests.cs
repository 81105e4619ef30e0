namespace MLNet.Transfer.Tests.Cli;

/// <summary>predict over a file or standard input, the way to score texts too long for one command-line argument.</summary>
[NonParallelizable]
[Category("Unit")]
public class PredictInputTests
{
    private static string TrainBaseline(string folder)
    {
        string zip = Path.Combine(folder, "baseline.zip");
        var trained = InProcessCli.Run("train", "--task", "binary", "--approach", "baseline", "--train", RepoData.Uci("yelp"), "--output", zip);
        Assert.That(trained.Code, Is.EqualTo(0), trained.Err);
        return zip;
    }

    [Test]
    public void InputGivesOneResultPerLineEqualToTextForEachLine()
    {
        using var temp = TestModels.TempDir();
        string zip = TrainBaseline(temp.Path);
        // 240,000 characters: more than Linux accepts in one argument (128 KiB), so only --input can carry it from a shell.
        string[] texts = ["I loved every minute of it", "Terrible, the worst service ever.", string.Concat(Enumerable.Repeat("really great food and friendly staff ", 6_500))];
        string file = Path.Combine(temp.Path, "texts.txt");
        File.WriteAllLines(file, texts);

        var fromFile = InProcessCli.Run("predict", "--model-file", zip, "--input", file);
        Assert.That(fromFile.Code, Is.EqualTo(0), fromFile.Err);
        var lines = fromFile.Out.Trim().Split('\n');
        Assert.That(lines, Has.Length.EqualTo(3));
        Assert.That(lines, Has.All.Match("^label: [01]  score: 0\\.\\d{4}$|^label: 1  score: 1\\.0000$"));
        for (int i = 0; i < texts.Length; i++)
            Assert.That(lines[i], Is.EqualTo(InProcessCli.Run("predict", "--model-file", zip, "--text", texts[i]).Out.Trim()), $"line {i} as --text");
        Assert.That(lines[0], Does.StartWith("label: 1"), "a clearly positive sentence");
        Assert.That(lines[1], Does.StartWith("label: 0"), "a clearly negative sentence");

        var fromStdin = InProcessCli.RunWithInput(string.Join('\n', texts) + "\n", "predict", "--model-file", zip, "--input", "-");
        Assert.That(fromStdin.Code, Is.EqualTo(0), fromStdin.Err);
        Assert.That(fromStdin.Out.Trim().Split('\n'), Is.EqualTo(lines), "standard input reads the same as the file");
    }

    [Test]
    public void InputLongerThanOneBatchIsStreamedInOrderWithOneResultPerLine()
    {
        using var temp = TestModels.TempDir();
        string zip = TrainBaseline(temp.Path);
        int count = 2 * MLNet.Transfer.Cli.PredictCommand.LinesPerBatch + 7; // two full batches and a partial one
        string[] texts = Enumerable.Range(0, count)
            .Select(i => i % 2 == 0 ? $"I loved every minute of it, visit {i}" : $"Terrible, the worst service ever, visit {i}").ToArray();
        string file = Path.Combine(temp.Path, "texts.txt");
        File.WriteAllLines(file, texts);

        var result = InProcessCli.Run("predict", "--model-file", zip, "--input", file, "--json");
        Assert.That(result.Code, Is.EqualTo(0), result.Err);
        var lines = result.Out.Trim().Split('\n');
        Assert.That(lines, Has.Length.EqualTo(count));
        for (int i = 0; i < count; i++)
        {
            using var row = System.Text.Json.JsonDocument.Parse(lines[i]);
            Assert.That(row.RootElement.GetProperty("text").GetString(), Is.EqualTo(texts[i]), $"line {i} in input order");
        }
        // A line in the last batch scores as it does alone.
        var alone = InProcessCli.Run("predict", "--model-file", zip, "--text", texts[^2], "--json").Out.Trim();
        Assert.That(lines[^2], Is.EqualTo(alone));
    }

    [Test]
    public void JsonGivesOneObjectPerTextWithTheMlNetOutputColumnsAgreeingWithTheTextOutput()
    {
        using var temp = TestModels.TempDir();
        string zip = TrainBaseline(temp.Path);
        string[] texts = ["I loved every minute of it", "Terrible, the worst service ever."];
        string file = Path.Combine(temp.Path, "texts.txt");
        File.WriteAllLines(file, texts);
        var plain = InProcessCli.Run("predict", "--model-file", zip, "--input", file).Out.Trim().Split('\n');
        var json = InProcessCli.Run("predict", "--model-file", zip, "--input", file, "--json");
        Assert.That(json.Code, Is.EqualTo(0), json.Err);
        var lines = json.Out.Trim().Split('\n');
        Assert.That(lines, Has.Length.EqualTo(2));
        for (int i = 0; i < texts.Length; i++)
        {
            using var row = System.Text.Json.JsonDocument.Parse(lines[i]);
            var r = row.RootElement;
            Assert.That(r.EnumerateObject().Select(p => p.Name), Is.EqualTo(new[] { "text", "PredictedLabel", "Score", "Probability" }));
            Assert.That(r.GetProperty("text").GetString(), Is.EqualTo(texts[i]));
            bool label = r.GetProperty("PredictedLabel").GetBoolean();
            double probability = r.GetProperty("Probability").GetDouble();
            Assert.That(plain[i], Is.EqualTo($"label: {(label ? 1 : 0)}  score: {probability:F4}"), "the same prediction as the text output");
        }
        Assert.That(InProcessCli.Run("--version").Out, Does.Match("^mlnet-transfer \\d+\\.\\d+"));
    }

    [Test]
    public void MissingTextOrInputFileIsOneClearErrorNamingInput()
    {
        using var temp = TestModels.TempDir();
        string zip = TrainBaseline(temp.Path);
        var none = InProcessCli.Run("predict", "--model-file", zip);
        Assert.That(none.Code, Is.EqualTo(2));
        Assert.That(none.Err.Trim().Split('\n'), Has.Length.EqualTo(1), none.Err);
        Assert.That(none.Err, Does.StartWith("error: ").And.Contain("--input").And.Contain("128 KiB"));
        var missing = InProcessCli.Run("predict", "--model-file", zip, "--input", Path.Combine(temp.Path, "nope.txt"));
        Assert.That(missing.Code, Is.EqualTo(2));
        Assert.That(missing.Err, Does.Contain("nope.txt").And.Contain("does not exist"));
    }
}
