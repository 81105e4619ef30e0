using MLNet.Transfer.Pretraining;
using MLNet.Transfer.Tests.Pretraining;
using MLNet.Transfer.Tests.Text;

namespace MLNet.Transfer.Tests.Cli;

/// <summary><c>train --aux-lm-weight W</c>: the auxiliary language-model loss of causal models, on tiny random language models.</summary>
[NonParallelizable]
[Category("Integration")]
public class AuxiliaryLanguageModelCliTests
{
    private static string TinyLanguageModel(string root, LanguageModelObjective objective)
    {
        string dir = Path.Combine(root, objective.ToString());
        using var lm = TransformerLanguageModel.FromScratch(TransformerLanguageModelTests.Tiny(31), TestVocab.Small(), objective, seed: 2);
        lm.Save(dir);
        return dir;
    }

    private static string AlphabetData(string root)
    {
        string path = Path.Combine(root, "train.tsv");
        File.WriteAllLines(path, ["Label\tText", .. TransformerLanguageModelTests.AlphabetCorpus(80, 1).Select(t => $"{(t[0] < 'h' ? 1 : 0)}\t{t}")]);
        return path;
    }

    [Test]
    public void ACausalModelTrainsWithTheAuxiliaryLossAndAMaskedOneIsRefused()
    {
        using var temp = TestModels.TempDir();
        string train = AlphabetData(temp.Path), zip = Path.Combine(temp.Path, "model.zip");
        string causal = TinyLanguageModel(temp.Path, LanguageModelObjective.CausalLm), masked = TinyLanguageModel(temp.Path, LanguageModelObjective.MaskedLm);

        var trained = InProcessCli.Run("train", "--task", "binary", "--train", train, "--model", causal, "--epochs", "1", "--output", zip);
        Assert.That(trained.Code, Is.EqualTo(0), trained.Err);
        Assert.That(trained.Out, Does.Contain("auxiliary language-model loss weight 0.5 (causal encoder"), "the default is printed with the other choices");
        Assert.That(File.Exists(zip), Is.True);
        var off = InProcessCli.Run("train", "--task", "binary", "--train", train, "--model", causal, "--epochs", "1", "--aux-lm-weight", "0", "--output", zip);
        Assert.That(off.Code, Is.EqualTo(0), off.Err);
        Assert.That(off.Out, Does.Not.Contain("auxiliary language-model loss weight"), "an explicit value is not a data-aware choice");

        foreach (var (args, message) in new (string[], string)[]
        {
            (["train", "--task", "binary", "--train", train, "--model", masked, "--epochs", "1", "--aux-lm-weight", "0.5", "--output", zip + "2"], "needs a causal (is_decoder) transformer encoder"),
            (["train", "--task", "binary", "--train", train, "--model", causal, "--approach", "features", "--aux-lm-weight", "0.5", "--output", zip + "2"], "--aux-lm-weight applies to --approach finetune"),
            (["train", "--task", "binary", "--train", train, "--model", causal, "--aux-lm-weight", "-1", "--output", zip + "2"], "--aux-lm-weight"),
        })
        {
            var (code, stdout, stderr) = InProcessCli.Run(args);
            Assert.That(code, Is.EqualTo(2), string.Join(' ', args) + " → " + stdout + stderr);
            Assert.That(stderr.Trim().Split('\n'), Has.Length.EqualTo(1), stderr);
            Assert.That(stderr, Does.StartWith("error: ").And.Contain(message), stderr);
            Assert.That(File.Exists(zip + "2"), Is.False, "no model file");
        }
    }
}
