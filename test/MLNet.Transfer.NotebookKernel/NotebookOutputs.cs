using Microsoft.DotNet.Interactive.Documents;
using Microsoft.DotNet.Interactive.Documents.Jupyter;

namespace MLNet.Transfer.NotebookKernel;

/// <summary>Writes a run's outputs into the notebook (how the committed outputs are made).</summary>
public static class NotebookOutputs
{
    /// <summary>Replaces every code cell's outputs and execution count with those of <paramref name="runs"/>.</summary>
    public static void Write(string notebookPath, IReadOnlyList<CellRun> runs)
    {
        var document = Notebook.Parse(File.ReadAllText(notebookPath));
        var cells = document.Elements.Where(e => e.KernelName is not ("markdown" or "md")).ToList();
        if (cells.Count != runs.Count) throw new InvalidOperationException("The notebook changed during the run.");
        int count = 0;
        for (int i = 0; i < cells.Count; i++)
        {
            cells[i].Outputs.Clear();
            cells[i].Outputs.AddRange(runs[i].Outputs);
            cells[i].ExecutionOrder = runs[i].Outputs.Count == 0 && runs[i].Text.Length == 0 && runs[i].Seconds == 0 ? 0 : ++count;
        }
        File.WriteAllText(notebookPath, document.ToJupyterJson() + "\n");
    }
}
