using System.Diagnostics;
using System.Text;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.CSharp;
using Microsoft.DotNet.Interactive.Documents;
using Microsoft.DotNet.Interactive.Documents.Jupyter;
using Microsoft.DotNet.Interactive.Events;
using Microsoft.DotNet.Interactive.PackageManagement;

namespace MLNet.Transfer.NotebookKernel;

/// <summary>A code cell that did not compile or threw, named by notebook and cell.</summary>
public sealed class NotebookCellException(string message) : Exception(message);

/// <summary>The outputs of one code cell as notebook output elements, and its text for the log.</summary>
public sealed record CellRun(int CodeCell, IReadOnlyList<InteractiveDocumentOutputElement> Outputs, string Text, double Seconds);

/// <summary>
/// Runs a notebook's code cells, in order, in one C# kernel set up as the .NET Interactive tool sets up its C# kernel
/// (#r / #i "nuget: ..." directives, the display / HTML helpers, value sharing), with the notebook's folder as the
/// current directory. Package restores go through NuGet as in a user's kernel: the sources are those of the nuget.config
/// files that apply to the notebook's folder.
/// </summary>
public static class NotebookRun
{
    /// <summary>Runs every code cell; throws <see cref="NotebookCellException"/> at the first that fails.</summary>
    public static async Task<IReadOnlyList<CellRun>> RunAsync(string notebookPath, TextWriter log)
    {
        string name = Path.GetFileName(notebookPath);
        var document = Notebook.Parse(await File.ReadAllTextAsync(notebookPath));
        Environment.CurrentDirectory = Path.GetDirectoryName(notebookPath)!;

        // forceRestore: every run restores (no resolution cache in ~/.packagemanagement), so a freshly packed package is used.
        using var csharp = new CSharpKernel()
            .UseNugetDirective((kernel, references) =>
            {
                kernel.AddAssemblyReferences(references.SelectMany(r => r.AssemblyPaths));
                return Task.CompletedTask;
            }, forceRestore: true)
            .UseKernelHelpers()
            .UseValueSharing();
        using var kernel = new CompositeKernel { csharp };
        kernel.DefaultKernelName = csharp.Name;

        var runs = new List<CellRun>();
        int codeCell = 0;
        foreach (var cell in document.Elements.Where(e => !IsMarkdown(e)))
        {
            codeCell++;
            if (cell.KernelName is { } language && language is not ("csharp" or "C#" or "c#"))
                throw new NotebookCellException($"{name}, code cell {codeCell}: kernel '{language}' (only C# cells are run).");
            if (string.IsNullOrWhiteSpace(cell.Contents)) { runs.Add(new CellRun(codeCell, [], "", 0)); continue; }

            var clock = Stopwatch.StartNew();
            var result = await kernel.SendAsync(new SubmitCode(cell.Contents));
            var outputs = new CellOutputs();
            foreach (var e in result.Events) outputs.Add(e);
            var failure = result.Events.OfType<CommandFailed>().FirstOrDefault();
            if (failure is not null)
                throw new NotebookCellException($"{name}, code cell {codeCell} failed: {failure.Message}\n--- output so far ---\n{outputs.Text}\n--- cell ---\n{cell.Contents}");
            runs.Add(new CellRun(codeCell, outputs.Elements, outputs.Text.ToString(), clock.Elapsed.TotalSeconds));
            log.WriteLine($"--- {name} code cell {codeCell} ({clock.Elapsed.TotalSeconds:F1} s)");
            log.Write(outputs.Text);
            log.Flush();
        }
        return runs;
    }

    private static bool IsMarkdown(InteractiveDocumentElement element) => element.KernelName is "markdown" or "md";

    /// <summary>A cell's events as notebook outputs: stdout / stderr text (consecutive writes merged) and displayed values (updates replace them).</summary>
    private sealed class CellOutputs
    {
        private readonly Dictionary<string, int> _displayed = new();

        public List<InteractiveDocumentOutputElement> Elements { get; } = [];

        public StringBuilder Text { get; } = new();

        public void Add(KernelEvent e)
        {
            switch (e)
            {
                case StandardOutputValueProduced output: AddText(Value(output), "stdout"); break;
                case StandardErrorValueProduced error: AddText(Value(error), "stderr"); break;
                case DisplayedValueUpdated updated when updated.ValueId is not null && _displayed.TryGetValue(updated.ValueId, out int index):
                    Elements[index] = Display(updated);
                    break;
                case DisplayEvent display:
                    if (display.ValueId is not null) _displayed[display.ValueId] = Elements.Count;
                    Elements.Add(Display(display));
                    break;
            }
        }

        private void AddText(string text, string stream)
        {
            Text.Append(text);
            if (Elements.Count > 0 && Elements[^1] is TextElement last && last.Name == stream)
                Elements[^1] = new TextElement(last.Text + text, stream);
            else
                Elements.Add(new TextElement(text, stream));
        }

        private static string Value(DisplayEvent e) => string.Concat(e.FormattedValues.Select(v => v.Value));

        private static DisplayElement Display(DisplayEvent e) =>
            new(e.FormattedValues.ToDictionary(v => v.MimeType, v => (object)v.Value));
    }
}
