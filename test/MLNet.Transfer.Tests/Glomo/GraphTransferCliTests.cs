using System.Text.Json;
using MLNet.Transfer.Tests.Cli;

namespace MLNet.Transfer.Tests.Glomo;

/// <summary>
/// <c>train --graphs DIR</c> on tiny random models: trains the graph-transfer classifier, saves a zip that evaluate and
/// predict use unchanged; options that do not apply are refused; <c>pretrain --model &lt;glomo dir&gt;</c> continues training.
/// </summary>
[Category("Unit"), NonParallelizable]
public class GraphTransferCliTests
{
    private static string WriteTsv(string path, int count, int seed)
    {
        File.WriteAllLines(path, ["Label\tText", .. GraphTransferFixtures.Rows(count, seed).Select(r => $"{r.Label}\t{r.Text}")]);
        return path;
    }

    [Test]
    public void TrainWithGraphsSavesAModelThatEvaluateAndPredictUse()
    {
        using var temp = TestModels.TempDir();
        string graphs = GraphTransferFixtures.GraphModelDirectory(temp.Path);
        string encoder = GraphTransferFixtures.EncoderDirectory(temp.Path);
        string train = WriteTsv(Path.Combine(temp.Path, "train.tsv"), 48, seed: 0), valid = WriteTsv(Path.Combine(temp.Path, "valid.tsv"), 24, seed: 1);
        string zip = Path.Combine(temp.Path, "m.zip");
        var run = InProcessCli.Run("train", "--task", "multiclass", "--train", train, "--valid", valid, "--graphs", graphs, "--model", encoder,
                                   "--epochs", "20", "--lr", "0.01", "--batch-size", "8", "--max-tokens", "16", "--seed", "3", "--output", zip, "--json");
        Assert.That(run.Code, Is.EqualTo(0), run.Err);
        Assert.That(run.Out, Does.Contain("Graph transfer (GLoMo-style, reduced): pretrained graphs").And.Contain("epoch 20/20"));
        double trainedAccuracy;
        using (var json = JsonDocument.Parse(run.Out.Trim().Split('\n')[^1]))
            trainedAccuracy = json.RootElement.GetProperty("MicroAccuracy").GetDouble();
        Assert.That(trainedAccuracy, Is.GreaterThanOrEqualTo(0.9));

        var evaluated = InProcessCli.Run("evaluate", "--model-file", zip, "--test", valid, "--json");
        Assert.That(evaluated.Code, Is.EqualTo(0), evaluated.Err);
        using (var json = JsonDocument.Parse(evaluated.Out.Trim().Split('\n')[^1]))
            Assert.That(json.RootElement.GetProperty("MicroAccuracy").GetDouble(), Is.EqualTo(trainedAccuracy), "the saved model scores as the trained one");

        var predicted = InProcessCli.Run("predict", "--model-file", zip, "--text", "x y z w");
        Assert.That(predicted.Code, Is.EqualTo(0), predicted.Err);
        Assert.That(predicted.Out, Does.Contain("late"));

        var none = InProcessCli.Run("train", "--task", "binary", "--train", WriteBinary(temp.Path), "--graphs", graphs, "--graph-mode", "none", "--model", encoder,
                                    "--epochs", "2", "--max-tokens", "16", "--output", Path.Combine(temp.Path, "none.zip"));
        Assert.That(none.Code, Is.EqualTo(0), none.Err);
        Assert.That(none.Out, Does.Contain("none graphs"));
    }

    private static string WriteBinary(string root)
    {
        string path = Path.Combine(root, "binary.tsv");
        File.WriteAllLines(path, ["Label\tText", .. GraphTransferFixtures.Rows(30).Select(r => $"{(r.Positive ? 1 : 0)}\t{r.Text}")]);
        return path;
    }

    [Test]
    public void OptionsThatDoNotApplyAreRefused()
    {
        using var temp = TestModels.TempDir();
        string train = WriteTsv(Path.Combine(temp.Path, "train.tsv"), 12, seed: 0);
        string graphs = GraphTransferFixtures.GraphModelDirectory(temp.Path);
        string output = Path.Combine(temp.Path, "m.zip");
        (string[] Args, string Message)[] cases =
        [
            (["--task", "regression", "--graphs", graphs], "use --task binary or multiclass, not regression"),
            (["--task", "multiclass", "--graphs", graphs, "--approach", "features"], "--approach does not apply with --graphs"),
            (["--task", "multiclass", "--graphs", graphs, "--aux-lm-weight", "0.5"], "--aux-lm-weight does not apply with --graphs"),
            (["--task", "multiclass", "--graph-mode", "random"], "--graph-mode needs --graphs DIR"),
            (["--task", "multiclass", "--graphs", Path.Combine(temp.Path, "missing")], "--graphs: directory not found"),
        ];
        foreach (var (args, message) in cases)
        {
            var run = InProcessCli.Run(["train", "--train", train, "--output", output, .. args]);
            Assert.That(run.Code, Is.EqualTo(2), string.Join(' ', args));
            Assert.That(run.Err, Does.Contain(message));
        }
        Assert.That(File.Exists(output), Is.False);
    }

    [Test]
    public void PretrainContinuesAGraphModel()
    {
        using var temp = TestModels.TempDir();
        string graphs = GraphTransferFixtures.GraphModelDirectory(temp.Path);
        string corpus = Path.Combine(temp.Path, "corpus.txt");
        File.WriteAllLines(corpus, GraphTransferFixtures.Rows(40).Select(r => r.Text));
        string continued = Path.Combine(temp.Path, "continued");
        var run = InProcessCli.Run("pretrain", "--corpus", corpus, "--model", graphs, "--steps", "2", "--batch-size", "8", "--max-tokens", "16", "--output", continued, "--json");
        Assert.That(run.Code, Is.EqualTo(0), run.Err);
        Assert.That(run.Out, Does.Contain($"pretrain clm on {graphs} (GLoMo-style (reduced)"));
        using var json = JsonDocument.Parse(run.Out.Trim().Split('\n')[^1]);
        Assert.That(json.RootElement.GetProperty("Architecture").GetString(), Is.EqualTo("glomo"));
        using var before = MLNet.Transfer.Pretraining.GlomoLanguageModel.Load(graphs);
        using var after = MLNet.Transfer.Pretraining.GlomoLanguageModel.Load(continued);
        Assert.That(after.Tokenizer.Vocabulary, Is.EqualTo(before.Tokenizer.Vocabulary));
        var (_, graphBefore) = before.GraphOf("a b c d");
        var (_, graphAfter) = after.GraphOf("a b c d");
        Assert.That(graphAfter, Is.Not.EqualTo(graphBefore), "two steps changed the graph predictor");
    }
}
