using System.Text.RegularExpressions;
using MLNet.Transfer.Cli;

namespace MLNet.Transfer.Tests.Cli;

/// <summary>The tagger's self-training report of pseudo-labelled words per tag (how many carry an entity tag, not "O").</summary>
[NonParallelizable]
[Category("Unit")]
public class PseudoTagCountsTests
{
    [Test]
    public void TheLineNamesEachUsedTagAndTheShareOfWordsThatAreNotO()
    {
        string line = PseudoTagCounts.Line(1, [90, 6, 0, 4], ["O", "B-person", "B-location", "I-person"]);
        Assert.That(line, Is.EqualTo("self-training round 1 pseudo-labelled words per tag: O 90, B-person 6, I-person 4; not O: 10 of 100 (10.0%)"));
        Assert.That(PseudoTagCounts.Line(2, [0, 0], ["B-x", "O"]), Is.EqualTo("self-training round 2 pseudo-labelled words per tag: ; not O: 0 of 0"));
        Assert.Throws<ArgumentException>(() => PseudoTagCounts.Line(1, [1, 2], ["O"]));
    }

    [Test]
    public void TheCliPrintsEachRoundsWordsPerTagAfterTrainingAndTheyAddUpToTheRoundLine()
    {
        using var temp = TestModels.TempDir();
        string model = TestModels.TinyModelDirectory(temp.Path), zip = Path.Combine(temp.Path, "m.zip");
        string conll = Path.Combine(temp.Path, "train.conll"), sentences = Path.Combine(temp.Path, "sentences.txt");
        using (var w = new StreamWriter(conll)) MLNet.Transfer.Text.Tagging.ConllReader.Write(w, Tagging.TinyTagging.Sentences(40, 1));
        File.WriteAllLines(sentences, Tagging.TinyTagging.Sentences(30, 3).Select(s => string.Join(' ', s.Tokens)));
        var run = InProcessCli.Run("train", "--task", "tagging", "--train", conll, "--model", model, "--epochs", "1", "--max-tokens", "32",
                                   "--unlabelled", sentences, "--pseudo-label-threshold", "0.01", "--output", zip);
        Assert.That(run.Code, Is.EqualTo(0), run.Out + run.Err);
        var round = Regex.Match(run.Out, @"self-training round 1/1: (\d+) pseudo-labelled sentences \((\d+) words\)");
        Assert.That(round.Success, run.Out);
        Assert.That(int.Parse(round.Groups[1].Value), Is.EqualTo(30), "every sentence passes a 0.01 threshold");
        int words = int.Parse(round.Groups[2].Value);
        Assert.That(words, Is.EqualTo(Tagging.TinyTagging.Sentences(30, 3).Sum(s => s.Tokens.Length)));
        var perTag = Regex.Match(run.Out, @"self-training round 1 pseudo-labelled words per tag: (.+); not O: (\d+) of (\d+)");
        Assert.That(perTag.Success, run.Out);
        Assert.That(int.Parse(perTag.Groups[3].Value), Is.EqualTo(words));
        var counts = perTag.Groups[1].Value.Split(", ").Select(c => c.Split(' ')).ToList();
        Assert.That(counts.Sum(c => int.Parse(c[1])), Is.EqualTo(words));
        Assert.That(counts.Where(c => c[0] != "O").Sum(c => int.Parse(c[1])), Is.EqualTo(int.Parse(perTag.Groups[2].Value)));
    }
}
