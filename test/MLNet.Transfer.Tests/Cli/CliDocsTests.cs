using MLNet.Transfer.Cli;

namespace MLNet.Transfer.Tests.Cli;

/// <summary>
/// docs/cli.md's option tables are generated from the verbs' definitions: adding, renaming or re-describing an option
/// without regenerating them fails here. MLNET_TRANSFER_WRITE_DOCS=1 rewrites the section instead of failing.
/// </summary>
[Category("Unit")]
public class CliDocsTests
{
    private const string Begin = "<!-- options:begin -->\n", End = "<!-- options:end -->";

    [Test]
    public void DocsCliMdListsEveryOptionOfEveryVerbAsDeclared()
    {
        string path = RepositoryFiles.Path("docs", "cli.md");
        string doc = File.ReadAllText(path).ReplaceLineEndings("\n");
        int begin = doc.IndexOf(Begin, StringComparison.Ordinal), end = doc.IndexOf(End, StringComparison.Ordinal);
        Assert.That(begin, Is.GreaterThan(0).And.LessThan(end), $"docs/cli.md needs the markers {Begin.Trim()} and {End}");
        string expected = CliHelp.Markdown(CliApp.Verbs);
        string actual = doc[(begin + Begin.Length)..end];
        if (actual != expected && Environment.GetEnvironmentVariable("MLNET_TRANSFER_WRITE_DOCS") == "1")
        {
            File.WriteAllText(path, doc[..(begin + Begin.Length)] + expected + doc[end..]);
            actual = expected;
        }
        foreach (var verb in CliApp.Verbs)
            foreach (var option in verb.Options)
                Assert.That(actual, Does.Contain($"| `{option.Synopsis.Replace("|", "\\|")}` |"), $"docs/cli.md lacks {verb.Name} --{option.Name}");
        Assert.That(actual, Is.EqualTo(expected),
            "docs/cli.md's option tables differ from the verbs' definitions; regenerate them with "
            + "MLNET_TRANSFER_WRITE_DOCS=1 dotnet test test/MLNet.Transfer.Tests -c Release --filter CliDocs");
    }
}
