using System.Text.RegularExpressions;
using MLNet.Transfer.Cli;

namespace MLNet.Transfer.Tests.Cli;

/// <summary>
/// Each verb's options are declared once (CliVerb): help lists every one, the usage lines name only declared ones, the
/// commands read exactly the declared ones, and the parser rejects the rest with the contract's one-line error.
/// </summary>
[NonParallelizable]
[Category("Unit")]
public class CliDefinitionTests
{
    private static readonly string Fixtures = RepositoryFiles.Path("test", "fixtures", "saved-models");

    private static IEnumerable<CliVerb> Verbs => CliApp.Verbs;

    private static IEnumerable<string> VerbNames => CliApp.Verbs.Select(v => v.Name);

    private static CliVerb Verb(string name) => CliApp.Verbs.Single(v => v.Name == name);

    [Test]
    public void TheVerbsAreTheContractsInItsOrder() =>
        Assert.That(CliApp.Verbs.Select(v => v.Name), Is.EqualTo(new[] { "embed", "train", "evaluate", "predict", "pretrain", "export" }));

    [TestCaseSource(nameof(VerbNames))]
    public void HelpListsEveryDeclaredOptionWithItsDescription(string name)
    {
        var verb = Verb(name);
        var (code, stdout, _) = InProcessCli.Run(verb.Name, "--help");
        Assert.That(code, Is.EqualTo(0));
        Assert.That(stdout.TrimEnd(), Is.EqualTo(verb.Help));
        foreach (var option in verb.Options.Concat(CliHelp.CommonOptions))
        {
            Assert.That(stdout, Does.Match($@"(?m)^  {Regex.Escape(option.Synopsis)}(\s|$)"), $"{verb.Name} --help lacks {option.Synopsis}");
            string firstWords = string.Join(' ', option.Description.Split(' ', StringSplitOptions.RemoveEmptyEntries).Take(3));
            Assert.That(Regex.Replace(stdout, @"\s+", " "), Does.Contain(firstWords), $"{verb.Name} --help lacks the description of --{option.Name}");
        }
        var usage = verb.Usage.Split('\n').Select(l => "  " + l.TrimEnd()).ToHashSet();
        Assert.That(stdout.ReplaceLineEndings("\n").Split('\n').Where(l => !usage.Contains(l.TrimEnd())).Max(l => l.Length), Is.LessThanOrEqualTo(CliHelp.Width),
            "usage lines aside, help is wrapped");
    }

    [TestCaseSource(nameof(VerbNames))]
    public void UsageLinesAndOptionNamesAreDeclaredOptions(string name)
    {
        var verb = Verb(name);
        var named = Regex.Matches(verb.Usage, @"--([a-z][a-z0-9-]*)").Select(m => m.Groups[1].Value).Distinct();
        Assert.That(named.Where(n => verb.Find(n) is null), Is.Empty, $"{verb.Name}'s usage names undeclared options");
        Assert.That(verb.Options.GroupBy(o => o.Name).Where(g => g.Count() > 1).Select(g => g.Key), Is.Empty, "declared twice");
        Assert.That(verb.Options.Select(o => o.Name).Intersect(CliHelp.CommonOptions.Select(o => o.Name)), Is.Empty, "common options are CliApp's");
    }

    [Test]
    public void TheTopLevelUsageListsEveryVerbWithItsSummary()
    {
        var (code, stdout, _) = InProcessCli.Run("--help");
        Assert.That(code, Is.EqualTo(0));
        foreach (var verb in Verbs) Assert.That(stdout, Does.Contain($"  {verb.Name.PadRight(11)}{verb.Summary}\n"));
    }

    /// <summary>
    /// Runs each use of each verb (every --task of train, each kind of model for evaluate) on input that fails after the
    /// options are read: no command asks for an undeclared option (that throws), and every declared option is read by some use.
    /// </summary>
    [Test]
    public void TheCommandsReadExactlyTheDeclaredOptions()
    {
        using var temp = TestModels.TempDir();
        string missing = Path.Combine(temp.Path, "missing"), output = Path.Combine(temp.Path, "out");
        (string Verb, string[] Args)[] uses =
        [
            ("embed", ["--text", "hi", "--model", missing]),
            ("train", ["--task", "binary", "--train", missing + ".tsv", "--output", output]),
            ("train", ["--task", "multitask", "--train", $"a={missing}.tsv:Label:binary", "--output", output]),
            ("train", ["--task", "tagging", "--train", missing + ".conll", "--output", output]),
            ("train", ["--task", "multiple-choice", "--train", missing + ".tsv", "--candidate-cols", "A,B", "--output", output]),
            ("evaluate", ["--model-file", Path.Combine(Fixtures, "multiclass.zip"), "--test", missing + ".tsv"]),
            ("evaluate", ["--model-file", Path.Combine(Fixtures, "tagger.zip"), "--test", missing + ".conll"]),
            ("predict", ["--model-file", missing + ".zip", "--text", "hi"]),
            ("pretrain", ["--corpus", missing + ".txt", "--output", output]),
            ("export", ["--model-file", missing + ".zip", "--output", output]),
        ];
        var read = Verbs.ToDictionary(v => v.Name, _ => new HashSet<string>());
        foreach (var (name, args) in uses)
        {
            var verb = Verb(name);
            var parsed = new CliArguments(verb, args);
            var (stdout, stderr) = (Console.Out, Console.Error);
            Exception? failure = null;
            try
            {
                Console.SetOut(TextWriter.Null);
                Console.SetError(TextWriter.Null);
                verb.Run(parsed);
            }
            catch (Exception e) { failure = e; }
            finally { Console.SetOut(stdout); Console.SetError(stderr); }
            Assert.That(failure, Is.Not.Null.And.Not.InstanceOf<UndeclaredOptionException>(), $"{name} {string.Join(' ', args)}: {failure}");
            read[name].UnionWith(parsed.AskedFor);
        }
        foreach (var verb in Verbs)
            Assert.That(verb.Options.Select(o => o.Name).Except(read[verb.Name]), Is.Empty, $"options of '{verb.Name}' that no use of it reads");
    }

    [Test]
    public void AnUnknownOptionIsTheContractsOneLineErrorBeforeAnythingElse()
    {
        var (code, stdout, stderr) = InProcessCli.Run("train", "--task", "binary", "--epoch", "2");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stdout, Is.Empty);
        Assert.That(stderr, Is.EqualTo("error: Unknown option --epoch for 'train'. Run 'mlnet-transfer train --help'." + Environment.NewLine));

        var flagOfAnotherVerb = InProcessCli.Run("predict", "--casing", "--model-file", "m.zip", "--text", "hi");
        Assert.That(flagOfAnotherVerb.Code, Is.EqualTo(2));
        Assert.That(flagOfAnotherVerb.Err, Is.EqualTo("error: Unknown option --casing for 'predict'. Run 'mlnet-transfer predict --help'." + Environment.NewLine));
    }

    [Test]
    public void ADeclaredOptionThatThisUseDoesNotReadIsAOneLineError()
    {
        var (code, _, stderr) = InProcessCli.Run("train", "--task", "binary", "--head", "crf", "--train", "x.tsv", "--output", "x.zip");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Is.EqualTo("error: Option --head does not apply to 'train --task binary'. Run 'mlnet-transfer train --help'." + Environment.NewLine));
    }

    [Test]
    public void FlagsComeFromTheDeclarationAndTakeNoValue()
    {
        var parsed = new CliArguments(EmbedCommand.Verb, ["--json", "--text", "--json", "--normalize"]);
        Assert.That(parsed.Flag("json"), Is.True);
        Assert.That(parsed.Flag("normalize"), Is.True);
        Assert.That(parsed.Flag("no-normalize"), Is.False);
        Assert.That(parsed.Optional("text"), Is.EqualTo("--json"), "a value option takes the next argument, whatever it looks like");
        Assert.That(() => new CliArguments(EmbedCommand.Verb, ["--text"]), Throws.InstanceOf<CliException>().With.Message.EqualTo("Option --text needs a value."));
    }

    [Test]
    public void AskingForAnUndeclaredOptionIsAProgrammingError()
    {
        var parsed = new CliArguments(TrainCommand.Verb, ["--task", "binary"]);
        Assert.That(() => parsed.Optional("no-such-option"), Throws.InstanceOf<UndeclaredOptionException>());
        Assert.That(() => parsed.Flag("task"), Throws.InstanceOf<UndeclaredOptionException>(), "a value option read as a flag");
        Assert.That(() => parsed.Optional("json"), Throws.InstanceOf<UndeclaredOptionException>(), "a flag read as a value");
        Assert.That(() => parsed.Choice("output"), Throws.InstanceOf<UndeclaredOptionException>(), "not declared with OneOf");
        Assert.That(() => parsed.Choice("approach", "finetune", "zero-shot"), Throws.InstanceOf<UndeclaredOptionException>(), "a choice it does not declare");
        Assert.That(parsed.Choice("task"), Is.EqualTo("binary"));
        Assert.That(() => new CliArguments(TrainCommand.Verb, ["--approach", "baseline"]).Choice("approach", "finetune", "features"),
            Throws.InstanceOf<CliException>().With.Message.EqualTo("--approach must be one of finetune, features; got 'baseline'."));
    }

    [Test]
    public void WrappingKeepsEveryWordAndTheWidth()
    {
        string paragraph = string.Join(' ', Enumerable.Range(0, 200).Select(i => new string('w', i % 13 + 1)));
        var lines = CliHelp.Wrap(paragraph, 40);
        Assert.That(lines.Max(l => l.Length), Is.LessThanOrEqualTo(40));
        Assert.That(string.Join(' ', lines), Is.EqualTo(paragraph));
    }
}
