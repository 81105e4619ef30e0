using MLNet.Transfer.Cli;

namespace MLNet.Transfer.Tests.Cli;

/// <summary>CSV (RFC 4180) as well as TSV: quoted fields, the records' line numbers in errors, and train/evaluate on a CSV copy of a TSV.</summary>
[NonParallelizable]
[Category("Unit")]
public class SeparatorTests
{
    private static (int Line, string[] Fields)[] Records(string text, char separator = ',') =>
        DelimitedRecords.Read(new StringReader(text), separator, "f.csv").ToArray();

    [Test]
    public void QuotedFieldsHoldSeparatorsLineBreaksAndDoubledQuotes()
    {
        var records = Records("Label,Text\r\n1,\"great, really \"\"great\"\"\"\n0,\"two\nlines\"\n1,plain\n");
        Assert.That(records.Select(r => r.Line), Is.EqualTo(new[] { 1, 2, 3, 5 }), "each record's first line");
        Assert.That(records[1].Fields, Is.EqualTo(new[] { "1", "great, really \"great\"" }));
        Assert.That(records[2].Fields, Is.EqualTo(new[] { "0", "two\nlines" }));
        Assert.That(records[3].Fields, Is.EqualTo(new[] { "1", "plain" }));
        Assert.That(Records("a;b\n\"x;y\";z", ';')[1].Fields, Is.EqualTo(new[] { "x;y", "z" }), "no final line break, another separator");
    }

    [Test]
    public void BadQuotingNamesFileAndLine()
    {
        Assert.That(() => Records("Label,Text\n1,\"never closed\n0,x\n"), Throws.InstanceOf<CliException>().With.Message.EqualTo("f.csv line 2: a quoted field is never closed."));
        Assert.That(() => Records("Label,Text\n1,ok\n0,\"a\"b\n"), Throws.InstanceOf<CliException>().With.Message.StartWith("f.csv line 3: text after a closing quote"));
    }

    [Test]
    public void ACsvWithTooFewOrTooManyFieldsNamesTheLineAndATabHeaderHintsAtTheSeparator()
    {
        using var temp = TestModels.TempDir();
        string path = Path.Combine(temp.Path, "bad.csv");
        File.WriteAllText(path, "Label,Text\n1,good\n0,bad,extra\n");
        Assert.That(() => TsvFile.Read(path, ','), Throws.InstanceOf<CliException>().With.Message.EqualTo($"{path} line 3: 3 field(s) but the header has 2 (Label, Text)."));
        File.WriteAllText(path, "Label,Text\n1,good\n");
        Assert.That(() => TsvFile.Read(path).Column("Label", "label-col"), Throws.InstanceOf<CliException>().With.Message.Contain("add --separator ,"));
    }

    [Test]
    public void TrainAndEvaluateReadACsvCopyOfATsvToTheSameMetrics()
    {
        using var temp = TestModels.TempDir();
        string tsv = RepoData.Uci("yelp"), csv = Path.Combine(temp.Path, "yelp.csv");
        File.WriteAllLines(csv, File.ReadLines(tsv).Select(line => string.Join(',', line.Split('\t').Select(f => $"\"{f.Replace("\"", "\"\"")}\""))));
        string Metrics(string data, params string[] extra)
        {
            string zip = Path.Combine(temp.Path, Path.GetFileNameWithoutExtension(data) + ".zip");
            var train = InProcessCli.Run(["train", "--task", "binary", "--approach", "baseline", "--train", data, "--output", zip, .. extra]);
            Assert.That(train.Code, Is.EqualTo(0), train.Err);
            var evaluate = InProcessCli.Run(["evaluate", "--model-file", zip, "--test", data, "--json", .. extra]);
            Assert.That(evaluate.Code, Is.EqualTo(0), evaluate.Err);
            return evaluate.Out.Trim().Split('\n')[^1];
        }
        string fromTsv = Metrics(tsv);
        Assert.That(fromTsv, Does.Contain("\"Accuracy\""));
        Assert.That(Metrics(csv, "--separator", ","), Is.EqualTo(fromTsv));
        Assert.That(InProcessCli.Run("train", "--task", "binary", "--train", csv, "--separator", "ab", "--output", "x.zip").Err, Does.Contain("--separator must be one character"));
    }
}
