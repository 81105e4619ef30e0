using System.Text.Json;
using MLNet.Transfer.Cli;

namespace MLNet.Transfer.Tests.Cli;

/// <summary>train's stratified hold-out, small-data robustness, printed defaults and the degenerate-result warning in --json.</summary>
[NonParallelizable]
public class TrainDefaultsCliTests
{
    /// <summary>k rows per class from the shipped yelp sentences (seeded), as a TSV file.</summary>
    private static string KPerClass(string folder, int k, int seed)
    {
        var rows = File.ReadLines(RepoData.Uci("yelp")).Skip(1).ToArray();
        var random = new Random(seed);
        var picked = rows.GroupBy(r => r[0]).SelectMany(g => g.OrderBy(_ => random.Next()).Take(k)).OrderBy(_ => random.Next());
        string path = Path.Combine(folder, $"k{k}-seed{seed}.tsv");
        File.WriteAllLines(path, ["Label\tText", .. picked]);
        return path;
    }

    [Test]
    [Category("Unit")]
    public void HoldOutKeepsEveryClassInBothPartsAndCoversEachRowOnce()
    {
        using var temp = TestModels.TempDir();
        string path = Path.Combine(temp.Path, "rare.tsv");
        File.WriteAllLines(path, ["Label\tText", .. Enumerable.Range(0, 100).Select(i => $"{(i % 25 == 0 ? "spam" : "ham")}\ttext {i}")]);
        var file = TsvFile.Read(path);
        var (train, valid) = HoldOut.Split(file, 0, seed: 3);
        Assert.That(train.Concat(valid).Order(), Is.EqualTo(Enumerable.Range(0, 100)));
        Assert.That(valid.Count(i => file.Rows[i][0] == "spam"), Is.EqualTo(1), "4 spam rows: 10% rounds to 0, but every class keeps one");
        Assert.That(valid.Count(i => file.Rows[i][0] == "ham"), Is.EqualTo(10));
        Assert.That(HoldOut.Split(file, 0, seed: 3).Valid, Is.EqualTo(valid), "seeded");
        Assert.That(HoldOut.Split(file, 0, seed: 4).Valid, Is.Not.EqualTo(valid));
    }

    [Test]
    [Category("Integration")]
    public void FeaturesWithEightLabelsPerClassTrainForEverySeed()
    {
        using var temp = TestModels.TempDir();
        for (int seed = 1; seed <= 5; seed++)
        {
            string zip = Path.Combine(temp.Path, $"k8-{seed}.zip");
            var (code, output, error) = InProcessCli.Run("train", "--task", "binary", "--approach", "features", "--train", KPerClass(temp.Path, 8, seed),
                                                        "--seed", seed.ToString(), "--output", zip);
            Assert.That(code, Is.EqualTo(0), $"seed {seed}: {error}\n{output}");
            Assert.That(File.Exists(zip), $"seed {seed}: model saved");
            Assert.That(output, Does.Contain("AreaUnderRocCurve"), $"seed {seed}: metrics defined on the stratified hold-out");
        }
    }

    [Category("Integration")]
    [Test]
    [Category("Integration")]
    public void JsonCarriesTheWarningWhenEveryValidationPredictionIsOneClass()
    {
        using var temp = TestModels.TempDir();
        string zip = Path.Combine(temp.Path, "m.zip");
        // A threshold near probability 1 makes every prediction negative: the guard must say so, and the model is still saved.
        var (code, output, error) = InProcessCli.Run("train", "--task", "binary", "--train", RepoData.Uci("yelp"), "--model", TestModels.TinyModelDirectory(temp.Path),
                                                    "--epochs", "1", "--threshold", "0.999999", "--json", "--output", zip);
        Assert.That(code, Is.EqualTo(0), error);
        Assert.That(output, Does.Contain("Warning: the model predicts 'negative (0)' for every one of the 100 validation texts"));
        using var json = JsonDocument.Parse(output.Trim().Split('\n')[^1]);
        Assert.That(json.RootElement.GetProperty("Warnings").EnumerateArray().Single().GetString(), Does.Contain("for every one of the 100"));
        Assert.That(json.RootElement.GetProperty("Accuracy").GetDouble(), Is.EqualTo(0.5).Within(1e-9),
            "stratified: 50 + 50 held out, all predicted negative — also by ML.NET's evaluator, which reads Probability");
        Assert.That(File.Exists(zip));
        var refused = InProcessCli.Run("train", "--task", "binary", "--approach", "baseline", "--train", RepoData.Uci("yelp"), "--threshold", "0.7", "--output", zip);
        Assert.That((refused.Code, refused.Err), Is.EqualTo((2, "error: --threshold applies to --approach finetune (features/baseline use class weights for imbalanced data).\n")));
    }

    [Test]
    [Category("Unit")]
    public void BaselineOnBalancedDataChoosesAnL2AndPrintsNoWarning()
    {
        using var temp = TestModels.TempDir();
        var (code, output, error) = InProcessCli.Run("train", "--task", "binary", "--approach", "baseline", "--train", RepoData.Uci("yelp"), "--json",
                                                    "--output", Path.Combine(temp.Path, "m.zip"));
        Assert.That(code, Is.EqualTo(0), error);
        Assert.That(output, Does.Contain("chosen by 3-fold cross-validation").And.Not.Contain("Warning:"));
        using var json = JsonDocument.Parse(output.Trim().Split('\n')[^1]);
        Assert.That(json.RootElement.GetProperty("Warnings").GetArrayLength(), Is.Zero);
        Assert.That(json.RootElement.GetProperty("Accuracy").GetDouble(), Is.GreaterThan(0.7), "bag of words within one site (yelp): ~0.8");
    }
}
