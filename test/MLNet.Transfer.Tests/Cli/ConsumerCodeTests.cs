using System.Reflection;
using System.Reflection.PortableExecutable;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using MLNet.Transfer.Cli;
using MLNet.Transfer.Tests.Tagging;
using MLNet.Transfer.Text.Tagging;

namespace MLNet.Transfer.Tests.Cli;

/// <summary>
/// <c>train --code DIR</c>: the generated Program.cs compiles against the library and, run on the saved model, prints
/// exactly what <c>predict</c> prints — for every task the CLI trains.
/// </summary>
[Category("Unit"), NonParallelizable]
public class ConsumerCodeTests
{
    private static readonly string[] Texts = ["The food was great and the staff were friendly", "Cold soup, slow service, never again."];

    [TestCase("binary")]
    [TestCase("multiclass")]
    [TestCase("regression")]
    public void SentenceModelsConsumerPrintsWhatPredictPrints(string task)
    {
        using var temp = TestModels.TempDir();
        string zip = Path.Combine(temp.Path, "model.zip"), code = Path.Combine(temp.Path, "code");
        string train = RepoData.Uci("yelp");
        if (task == "multiclass") // three classes: the label as text
        {
            train = Path.Combine(temp.Path, "three.tsv");
            File.WriteAllLines(train, File.ReadAllLines(RepoData.Uci("yelp")).Select((l, i) => i == 0 ? l : (i % 3 == 0 ? "meh" : l.Split('\t')[0] == "1" ? "good" : "bad") + "\t" + l.Split('\t', 2)[1]));
        }
        var trained = InProcessCli.Run("train", "--task", task, "--approach", "baseline", "--train", train, "--output", zip, "--code", code);
        Assert.That(trained.Code, Is.EqualTo(0), trained.Err);
        Assert.That(trained.Out, Does.Contain("C# to consume the model"));
        AssertConsumerMatchesPredict(code, zip);
    }

    [Test]
    public void TaggerAndMultiTaskConsumersPrintWhatPredictPrints()
    {
        using var temp = TestModels.TempDir();
        string model = TestModels.TinyModelDirectory(temp.Path), conll = Path.Combine(temp.Path, "train.conll");
        using (var w = new StreamWriter(conll)) ConllReader.Write(w, TinyTagging.Sentences(48, 1));
        string[] tiny = ["--model", model, "--epochs", "1", "--max-tokens", "32", "--batch-size", "8"];

        string tagger = Path.Combine(temp.Path, "tagger.zip"), taggerCode = Path.Combine(temp.Path, "tagger-code");
        var trained = InProcessCli.Run(["train", "--task", "tagging", "--train", conll, .. tiny, "--output", tagger, "--code", taggerCode]);
        Assert.That(trained.Code, Is.EqualTo(0), trained.Err);
        AssertConsumerMatchesPredict(taggerCode, tagger, "we met bob in paris", "alice went to london today");

        string multi = Path.Combine(temp.Path, "multi.zip"), multiCode = Path.Combine(temp.Path, "multi-code");
        trained = InProcessCli.Run(["train", "--task", "multitask", "--train", $"sentiment={RepoData.Uci("yelp")}:Label:binary",
                                    "--train", $"ner={conll}:tagging", .. tiny, "--output", multi, "--code", multiCode]);
        Assert.That(trained.Code, Is.EqualTo(0), trained.Err);
        AssertConsumerMatchesPredict(multiCode, multi, "we met bob in paris", "alice went to london today");
    }

    [Test]
    public void TheProjectReferencesTheLibTorchTheRepositoryUses()
    {
        string props = File.ReadAllText(RepositoryFiles.Path("Directory.Packages.props"));
        string version = Regex.Match(props, $"\"{ConsumerCode.LibTorchPackage}\" Version=\"([^\"]+)\"").Groups[1].Value;
        Assert.That(version, Is.EqualTo(ConsumerCode.LibTorchVersion));
        Assert.That(ConsumerCode.Project("1.2.3"), Does.Contain("Include=\"MLNet.Transfer\" Version=\"1.2.3\""));
    }

    /// <summary>Compiles the generated Program.cs in memory, runs it on <paramref name="texts"/> and compares with predict's output for each.</summary>
    private static void AssertConsumerMatchesPredict(string codeDirectory, string zip, params string[] texts)
    {
        texts = texts.Length > 0 ? texts : Texts;
        Assert.That(File.ReadAllText(Path.Combine(codeDirectory, "ModelConsumer.csproj")), Does.Contain("MLNet.Transfer"));
        var program = Compile(File.ReadAllText(Path.Combine(codeDirectory, "Program.cs")));
        foreach (string text in texts)
        {
            var expected = InProcessCli.Run("predict", "--model-file", zip, "--text", text);
            Assert.That(expected.Code, Is.EqualTo(0), expected.Err);
            Assert.That(Run(program, zip, text).Trim(), Is.EqualTo(expected.Out.Trim()), text);
        }
    }

    private static Assembly Compile(string source)
    {
        const string implicitUsings = "global using System; global using System.IO; global using System.Linq; global using System.Collections.Generic; global using System.Threading.Tasks;";
        var compilation = CSharpCompilation.Create("ModelConsumer",
            [CSharpSyntaxTree.ParseText(source), CSharpSyntaxTree.ParseText(implicitUsings)],
            References(), new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));
        using var image = new MemoryStream();
        var emitted = compilation.Emit(image);
        Assert.That(emitted.Success, Is.True, string.Join("\n", emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)) + "\n" + source);
        return Assembly.Load(image.ToArray());
    }

    /// <summary>The framework's assemblies and every managed assembly beside the tests (the library, ML.NET, TorchSharp).</summary>
    private static IEnumerable<MetadataReference> References()
    {
        var paths = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Concat(Directory.GetFiles(AppContext.BaseDirectory, "*.dll"))
            .Distinct().Where(IsManaged);
        return paths.GroupBy(Path.GetFileName).Select(g => MetadataReference.CreateFromFile(g.First()));
    }

    private static bool IsManaged(string path)
    {
        try
        {
            using var pe = new PEReader(File.OpenRead(path));
            return pe.HasMetadata;
        }
        catch (BadImageFormatException) { return false; }
    }

    private static string Run(Assembly program, params string[] args)
    {
        var stdout = Console.Out;
        using var output = new StringWriter();
        Console.SetOut(output);
        try { program.EntryPoint!.Invoke(null, [args]); }
        finally { Console.SetOut(stdout); }
        return output.ToString();
    }
}
