using System.Text.Json;
using MLNet.Transfer.Checkpoints;
using MLNet.Transfer.Tests.Cli;

namespace MLNet.Transfer.Tests.Pretraining;

/// <summary><c>pretrain --model scratch --vocab-min-count</c>: a model from scratch over the corpus's word pieces only.</summary>
[NonParallelizable] // the CLI swaps Console.Out
public class ScratchVocabularyTests
{
    [Category("Unit")]
    [Test]
    public void ScratchModelKeepsOnlyTheCorpusWordPiecesAndOtherVerbsReadItsVocabulary()
    {
        using var temp = TestModels.TempDir();
        string corpus = Path.Combine(temp.Path, "corpus.txt");
        File.WriteAllLines(corpus, Enumerable.Range(0, 40).Select(i => $"review {i}: the film was {(i % 2 == 0 ? "great fun" : "a dull mess")}."));
        string dir = Path.Combine(temp.Path, "lm");

        var run = InProcessCli.Run("pretrain", "--corpus", corpus, "--model", "scratch", "--objective", "clm", "--vocab-min-count", "1", "--steps", "2",
                                   "--batch-size", "8", "--max-tokens", "24", "--output", dir, "--json");

        Assert.That(run.Code, Is.EqualTo(0), run.Err);
        string[] vocabulary = File.ReadAllLines(Path.Combine(dir, ModelDirectory.VocabFile));
        using (var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, ModelDirectory.ConfigFile))))
            Assert.That(config.RootElement.GetProperty("vocab_size").GetInt32(), Is.EqualTo(vocabulary.Length));
        Assert.That(vocabulary.Length, Is.LessThan(3_000), "corpus pieces + single characters, not 30,522");
        Assert.That(vocabulary, Does.Contain("dull").And.Contain("film").And.Contain("[MASK]"));
        Assert.That(vocabulary, Does.Not.Contain("cinema"));
        using (var json = JsonDocument.Parse(run.Out.Trim().Split('\n')[^1]))
            Assert.That(json.RootElement.GetProperty("HeldOutLossBefore").GetDouble(), Is.LessThan(Math.Log(3_000) + 1), "a random start is near log(vocabulary size)");

        var embedded = InProcessCli.Run("embed", "--model", dir, "--json", "--text", "A dull film about cinema.");
        Assert.That(embedded.Code, Is.EqualTo(0), embedded.Err);
    }

    [Category("Integration")]
    [Test]
    public void VocabularyMinCountIsRefusedForAPretrainedModel()
    {
        using var temp = TestModels.TempDir();
        string corpus = Path.Combine(temp.Path, "corpus.txt");
        File.WriteAllLines(corpus, ["one line", "another line"]);

        var run = InProcessCli.Run("pretrain", "--corpus", corpus, "--model", "minilm", "--vocab-min-count", "2", "--output", Path.Combine(temp.Path, "x"));

        Assert.That(run.Code, Is.EqualTo(2));
        Assert.That(run.Err, Does.Contain("--vocab-min-count only applies to --model scratch"));
    }
}
