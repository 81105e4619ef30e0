using System.Text.Json;
using MLNet.Transfer.Pretraining;
using MLNet.Transfer.Tests.Cli;

namespace MLNet.Transfer.Tests.Glomo;

/// <summary><c>pretrain --model scratch --arch glomo</c>: trains, reports as the other LMs do, saves a loadable directory; refuses mlm.</summary>
[NonParallelizable]
public class GlomoCliTests
{
    [Category("Integration")]
    [Test]
    public void CliPretrainsAGlomoModelThatLoadsBack()
    {
        using var temp = TestModels.TempDir();
        string corpus = Path.Combine(temp.Path, "corpus.txt");
        File.WriteAllLines(corpus, Enumerable.Range(0, 40).Select(i => $"review {i}: the film was {(i % 2 == 0 ? "great fun" : "a dull mess")}."));
        string dir = Path.Combine(temp.Path, "glomo");
        var run = InProcessCli.Run("pretrain", "--corpus", corpus, "--model", "scratch", "--arch", "glomo", "--vocab-min-count", "1", "--steps", "3",
                                   "--batch-size", "8", "--max-tokens", "24", "--output", dir, "--json");
        Assert.That(run.Code, Is.EqualTo(0), run.Err);
        Assert.That(run.Out, Does.Contain("GLoMo-style (reduced)"));
        using (var json = JsonDocument.Parse(run.Out.Trim().Split('\n')[^1]))
        {
            Assert.That(json.RootElement.GetProperty("HeldOutLossBefore").GetDouble(), Is.GreaterThan(json.RootElement.GetProperty("HeldOutLossAfter").GetDouble()));
            Assert.That(json.RootElement.GetProperty("Architecture").GetString(), Is.EqualTo("glomo"));
            Assert.That(json.RootElement.GetProperty("Objective").GetString(), Is.EqualTo("clm"));
        }
        using var loaded = GlomoLanguageModel.Load(dir);
        var (tokens, graph) = loaded.GraphOf("the film was great fun");
        Assert.That(graph.GetLength(0), Is.EqualTo(tokens.Length));
        Assert.That(Enumerable.Range(0, tokens.Length).Select(j => graph[2, j]).Sum(), Is.EqualTo(1f).Within(1e-5f));

        var refused = InProcessCli.Run("pretrain", "--corpus", corpus, "--model", "scratch", "--arch", "glomo", "--objective", "mlm", "--output", Path.Combine(temp.Path, "x"));
        Assert.That(refused.Code, Is.EqualTo(2));
        Assert.That(refused.Err, Does.Contain("--objective clm"));
    }
}
