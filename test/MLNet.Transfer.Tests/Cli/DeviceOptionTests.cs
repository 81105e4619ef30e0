namespace MLNet.Transfer.Tests.Cli;

/// <summary>--device on the verbs that train, embed or run a saved model: an unknown device or CUDA without a CUDA LibTorch is one clear line, exit 2.</summary>
[NonParallelizable]
[Category("Unit")]
public class DeviceOptionTests
{
    [TestCase("train", "--task", "binary", "--train", "x.tsv", "--output", "m.zip")]
    [TestCase("train", "--task", "tagging", "--train", "x.conll", "--output", "m.zip")]
    [TestCase("train", "--task", "multitask", "--train", "a=x.tsv:Label:binary", "--output", "m.zip")]
    [TestCase("embed", "--text", "hello")]
    [TestCase("pretrain", "--corpus", "x.txt", "--model", "minilm", "--objective", "mlm", "--output", "dir")]
    [TestCase("predict", "--model-file", "m.zip", "--text", "hello")]
    [TestCase("evaluate", "--model-file", "m.zip", "--test", "x.tsv")]
    public void CudaWithoutACudaLibTorchAndUnknownDevicesAreOneLineErrors(params string[] args)
    {
        var cuda = InProcessCli.Run([.. args, "--device", "cuda"]);
        Assert.That(cuda.Code, Is.EqualTo(2), cuda.Out + cuda.Err);
        Assert.That(cuda.Err.Trim(), Does.StartWith("error: --device: Device 'cuda' was requested but CUDA is not available").And.Not.Contain("\n"));

        var typo = InProcessCli.Run([.. args, "--device", "gpu"]);
        Assert.That(typo.Code, Is.EqualTo(2));
        Assert.That(typo.Err.Trim(), Does.Contain("Unknown device 'gpu'"));
    }

    [Test]
    public void TrainOnTheCpuDeviceRuns()
    {
        using var temp = TestModels.TempDir();
        string zip = Path.Combine(temp.Path, "m.zip");
        var result = InProcessCli.Run("train", "--task", "binary", "--approach", "baseline", "--train", RepoData.Uci("yelp"), "--device", "cpu", "--output", zip);
        Assert.That(result.Code, Is.EqualTo(0), result.Err);
        Assert.That(File.Exists(zip));
    }

    [TestCase("chain.zip")]
    [TestCase("tagger.zip")]
    public void PredictOnTheCpuDeviceGivesTheDefaultOutput(string zip)
    {
        string model = RepositoryFiles.Path("test", "fixtures", "saved-models", zip);
        string[] text = ["--text", "the cat sat on the mat"];
        var plain = InProcessCli.Run(["predict", "--model-file", model, .. text, "--json"]);
        var onCpu = InProcessCli.Run(["predict", "--model-file", model, .. text, "--json", "--device", "cpu"]);
        Assert.That(plain.Code, Is.EqualTo(0), plain.Err);
        Assert.That(onCpu.Code, Is.EqualTo(0), onCpu.Err);
        Assert.That(onCpu.Out, Does.StartWith("{\"text\"").And.EqualTo(plain.Out));
    }

    [TestCase("chain.zip", "Label", "1", "0", "AreaUnderRocCurve")]
    public void EvaluateOnTheCpuDeviceGivesTheDefaultMetrics(string zip, string label, string good, string bad, string metric)
    {
        using var temp = TestModels.TempDir();
        string model = RepositoryFiles.Path("test", "fixtures", "saved-models", zip), test = Path.Combine(temp.Path, "test.tsv");
        File.WriteAllLines(test, [$"{label}\tText", $"{good}\ta good and lovely film !", $"{bad}\tthe plot was awful and boring .",
                                  $"{good}\ta good and lovely film.", $"{bad}\tthe plot was awful and boring !"]);
        var plain = InProcessCli.Run("evaluate", "--model-file", model, "--test", test, "--label-col", label, "--json");
        var onCpu = InProcessCli.Run("evaluate", "--model-file", model, "--test", test, "--label-col", label, "--json", "--device", "cpu");
        Assert.That(plain.Code, Is.EqualTo(0), plain.Err);
        Assert.That(onCpu.Code, Is.EqualTo(0), onCpu.Err);
        Assert.That(onCpu.Out, Does.Contain($"\"{metric}\"").And.EqualTo(plain.Out));
    }
}
