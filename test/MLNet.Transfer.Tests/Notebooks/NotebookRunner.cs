using System.Diagnostics;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.Scripting;

namespace MLNet.Transfer.Tests.Notebooks;

/// <summary>The outputs of one code cell, in order: stdout text and displayed HTML.</summary>
public sealed class CellOutputs
{
    private readonly StringBuilder _pending = new();

    /// <summary>The outputs, each as a Jupyter output object.</summary>
    public List<JsonObject> Items { get; } = [];

    /// <summary>Everything written to stdout by the cell.</summary>
    public StringBuilder AllText { get; } = new();

    internal void Write(string text)
    {
        _pending.Append(text);
        AllText.Append(text);
    }

    internal void Display(string mime, string content)
    {
        Flush();
        Items.Add(new JsonObject
        {
            ["data"] = new JsonObject { [mime] = Lines(content) },
            ["metadata"] = new JsonObject(),
            ["output_type"] = "display_data",
        });
    }

    internal void Flush()
    {
        if (_pending.Length == 0) return;
        Items.Add(new JsonObject { ["name"] = "stdout", ["output_type"] = "stream", ["text"] = Lines(_pending.ToString()) });
        _pending.Clear();
    }

    /// <summary>Jupyter's multi-line string: a list of lines, each but the last ending in "\n".</summary>
    internal static JsonArray Lines(string text)
    {
        var array = new JsonArray();
        int start = 0;
        while (start < text.Length)
        {
            int end = text.IndexOf('\n', start);
            end = end < 0 ? text.Length : end + 1;
            array.Add(text[start..end]);
            start = end;
        }
        return array;
    }
}

/// <summary>
/// The globals of a notebook's script session: the two .NET Interactive helpers the notebooks use
/// (<c>display</c> and <c>HTML</c>), so the same cells compile in the test and in a Polyglot / Jupyter kernel.
/// </summary>
public sealed class NotebookGlobals
{
    internal CellOutputs? Current { get; set; }

    /// <summary>HTML to display (as .NET Interactive's <c>HTML(string)</c>).</summary>
    public sealed record HtmlContent(string Html)
    {
        /// <inheritdoc />
        public override string ToString() => Html;
    }

#pragma warning disable IDE1006 // the names are .NET Interactive's
    /// <summary>Wraps HTML for <see cref="display"/>.</summary>
    public HtmlContent HTML(string html) => new(html);

    /// <summary>Shows a value below the cell: HTML as text/html, anything else as its text.</summary>
    public object display(object value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var outputs = Current ?? throw new InvalidOperationException("display called outside a cell.");
        if (value is HtmlContent html) outputs.Display("text/html", html.Html);
        else outputs.Display("text/plain", value.ToString() ?? "");
        return value;
    }
#pragma warning restore IDE1006
}

/// <summary>
/// Runs the C# code cells of a .NET Interactive notebook (.ipynb) in order as one Roslyn script session, the way the
/// C# kernel runs them: state, usings and types carry over from cell to cell. <c>#r</c> directives are dropped (they
/// fetch the packages in a real kernel; here the assemblies come from the test's own output). Stdout and displayed
/// values are captured per cell and can be written back into the notebook as its outputs.
/// </summary>
public static class NotebookRunner
{
    /// <summary>Set to 1 to write the captured outputs into the .ipynb files (how the committed outputs are made).</summary>
    public const string WriteOutputsVariable = "MLNET_TRANSFER_WRITE_NOTEBOOK_OUTPUTS";

    private static readonly string[] DefaultImports = ["System", "System.Collections.Generic", "System.Linq", "System.Text", "System.Threading.Tasks"];
    private static readonly SemaphoreSlim ConsoleLock = new(1, 1);

    /// <summary>The result of a run: seconds in all, and per code cell its outputs (null for cells with nothing to run).</summary>
    public sealed record Result(double Seconds, IReadOnlyList<CellOutputs?> Cells);

    /// <summary>The notebooks folder of the repository this test runs from.</summary>
    public static string NotebooksFolder() => RepositoryFiles.Path("examples", "notebooks");

    /// <summary>Runs every code cell; throws (naming the notebook and cell) on a compile or run-time error.</summary>
    public static async Task<Result> RunAsync(string notebookPath, TextWriter log)
    {
        var notebook = JsonNode.Parse(await File.ReadAllTextAsync(notebookPath))!.AsObject();
        var cells = notebook["cells"]!.AsArray().Select(c => c!.AsObject()).Where(c => (string?)c["cell_type"] == "code").ToList();
        string name = Path.GetFileName(notebookPath);
        var options = Options();
        var globals = new NotebookGlobals();
        var results = new List<CellOutputs?>();
        ScriptState<object>? state = null;
        var clock = Stopwatch.StartNew();

        await ConsoleLock.WaitAsync();
        var originalOut = Console.Out;
        try
        {
            for (int i = 0; i < cells.Count; i++)
            {
                string language = (string?)cells[i]["metadata"]?["dotnet_interactive"]?["language"] ?? "csharp";
                if (language != "csharp") throw new InvalidOperationException($"{name}, code cell {i + 1}: language '{language}' (only C# cells are run).");
                string code = CodeOf(cells[i]);
                if (code.Trim().Length == 0) { results.Add(null); continue; }

                var outputs = new CellOutputs();
                globals.Current = outputs;
                var cellClock = Stopwatch.StartNew();
                Console.SetOut(new CapturingWriter(outputs));
                try
                {
                    state = state is null
                        ? await CSharpScript.RunAsync(code, options, globals)
                        : await state.ContinueWithAsync(code, options);
                }
                catch (CompilationErrorException e)
                {
                    throw new NotebookCellException($"{name}, code cell {i + 1} does not compile:\n{string.Join("\n", e.Diagnostics)}\n--- cell ---\n{code}", e);
                }
                catch (Exception e)
                {
                    throw new NotebookCellException($"{name}, code cell {i + 1} failed: {e.GetType().Name}: {e.Message}\n--- output so far ---\n{outputs.AllText}\n--- cell ---\n{code}", e);
                }
                finally
                {
                    Console.SetOut(originalOut);
                }
                outputs.Flush();
                results.Add(outputs);
                log.WriteLine($"--- {name} cell {i + 1} ({cellClock.Elapsed.TotalSeconds:F1} s)");
                log.Write(outputs.AllText);
            }
        }
        finally
        {
            Console.SetOut(originalOut);
            ConsoleLock.Release();
        }
        return new Result(clock.Elapsed.TotalSeconds, results);
    }

    /// <summary>Writes the outputs and execution counts of a run into the notebook (outputs of cells not run are cleared).</summary>
    public static void WriteOutputs(string notebookPath, Result result)
    {
        var notebook = JsonNode.Parse(File.ReadAllText(notebookPath))!.AsObject();
        var cells = notebook["cells"]!.AsArray().Select(c => c!.AsObject()).Where(c => (string?)c["cell_type"] == "code").ToList();
        if (cells.Count != result.Cells.Count) throw new InvalidOperationException("The notebook changed during the run.");
        int count = 0;
        for (int i = 0; i < cells.Count; i++)
        {
            var outputs = result.Cells[i];
            cells[i]["execution_count"] = outputs is null ? null : ++count;
            cells[i]["outputs"] = new JsonArray(outputs?.Items.Select(o => (JsonNode)o.DeepClone().AsObject()).ToArray() ?? []);
        }
        var json = new JsonSerializerOptions { WriteIndented = true, IndentSize = 1, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        File.WriteAllText(notebookPath, notebook.ToJsonString(json) + "\n");
    }

    /// <summary>The cell's source without <c>#r</c> / <c>#i</c> directives (kept as blank lines so line numbers match).</summary>
    internal static string CodeOf(JsonObject cell)
    {
        var source = cell["source"];
        string text = source is JsonArray lines ? string.Concat(lines.Select(l => (string?)l)) : (string?)source ?? "";
        return string.Join("\n", text.Split('\n').Select(line =>
            line.TrimStart().StartsWith("#r ", StringComparison.Ordinal) || line.TrimStart().StartsWith("#i ", StringComparison.Ordinal) ? "" : line));
    }

    private static ScriptOptions Options()
    {
        // The shared framework (as the C# kernel references it) plus the libraries next to the test: ML.NET, TorchSharp, MLNet.Transfer(.Plots).
        string framework = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var files = Directory.GetFiles(framework, "*.dll").Where(IsManaged)
            .Concat(new[] { "Microsoft.ML*.dll", "MLNet.Transfer*.dll", "TorchSharp.dll" }
                .SelectMany(pattern => Directory.GetFiles(AppContext.BaseDirectory, pattern)))
            .Where(f => !Path.GetFileName(f).StartsWith("MLNet.Transfer.Tests", StringComparison.Ordinal) && !Path.GetFileName(f).StartsWith("MLNet.Transfer.Benchmarks", StringComparison.Ordinal))
            .Where(IsManaged)
            .Distinct();
        return ScriptOptions.Default
            .WithReferences(files.Select(f => MetadataReference.CreateFromFile(f)).Append(MetadataReference.CreateFromFile(typeof(NotebookGlobals).Assembly.Location)))
            .WithImports(DefaultImports)
            .WithOptimizationLevel(OptimizationLevel.Release)
            .WithEmitDebugInformation(false);
    }

    private static bool IsManaged(string path)
    {
        try { System.Reflection.AssemblyName.GetAssemblyName(path); return true; }
        catch (BadImageFormatException) { return false; }
    }

    /// <summary>Console.Out during a cell: everything goes to the cell's outputs.</summary>
    private sealed class CapturingWriter(CellOutputs outputs) : TextWriter
    {
        public override Encoding Encoding => Encoding.UTF8;
        public override void Write(char value) => outputs.Write(value.ToString());
        public override void Write(string? value) { if (value is not null) outputs.Write(value); }
        public override void WriteLine(string? value) => outputs.Write((value ?? "") + "\n");
    }
}

/// <summary>A notebook cell failed to compile or threw.</summary>
public sealed class NotebookCellException(string message, Exception inner) : Exception(message, inner);
