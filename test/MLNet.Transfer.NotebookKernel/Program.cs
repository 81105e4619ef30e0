using MLNet.Transfer.NotebookKernel;

// MLNet.Transfer.NotebookKernel <notebook.ipynb> [--write-outputs]
// Runs every code cell in order in one C# kernel started in the notebook's folder (as Polyglot Notebooks and Jupyter do),
// printing each cell's output. A cell that fails ends the run: "<notebook>, code cell N failed: ..." on stderr, exit 1.
// With --write-outputs the outputs of a complete run are written into the notebook.
if (args.Length is < 1 or > 2 || (args.Length == 2 && args[1] != "--write-outputs"))
{
    Console.Error.WriteLine("usage: MLNet.Transfer.NotebookKernel <notebook.ipynb> [--write-outputs]");
    return 2;
}
string notebook = Path.GetFullPath(args[0]);
try
{
    var run = await NotebookRun.RunAsync(notebook, Console.Out);
    if (args.Length == 2)
        NotebookOutputs.Write(notebook, run);
    return 0;
}
catch (NotebookCellException e)
{
    Console.Error.WriteLine(e.Message);
    return 1;
}
