namespace MLNet.Transfer.Tests.Notebooks;

/// <summary>
/// Every notebook in examples/notebooks runs headless, cell by cell, with the real MiniLM: a notebook that no longer
/// compiles or throws fails here, naming the cell. With MLNET_TRANSFER_WRITE_NOTEBOOK_OUTPUTS=1 the run's outputs are
/// written into the .ipynb (the committed outputs come from such a run).
/// </summary>
[NonParallelizable]
public class NotebookTests
{
    [Category("Notebook")]
    [TestCase("01-sentiment-embeddings.ipynb", "Accuracy")]
    [TestCase("02-fine-tuning.ipynb", "training.png")]
    [TestCase("03-few-shot.ipynb", "learning-curve.png")]
    [TestCase("04-multi-task.ipynb", "site")]
    public async Task NotebookRunsFromTopToBottom(string notebook, string expectedInOutput)
    {
        string path = Path.Combine(NotebookRunner.NotebooksFolder(), notebook);
        var result = await NotebookRunner.RunAsync(path, TestContext.Out);
        TestContext.Out.WriteLine($"{notebook}: {result.Seconds:F1} s");

        string allOutput = string.Concat(result.Cells.Where(c => c is not null).Select(c => c!.AllText.ToString()));
        Assert.That(allOutput, Does.Contain(expectedInOutput), "the notebook's printed results");
        Assert.That(result.Cells.Count(c => c is not null), Is.GreaterThan(2), "code cells run");
        if (Environment.GetEnvironmentVariable(NotebookRunner.WriteOutputsVariable) == "1")
            NotebookRunner.WriteOutputs(path, result);
    }

    [Category("Unit")]
    [Test]
    public void DirectivesAreDroppedAndLinesKept()
    {
        var cell = System.Text.Json.Nodes.JsonNode.Parse("""{"source": ["#r \"nuget: MLNet.Transfer\"\n", "var x = 1;\n", "  #r \"a.dll\""]}""")!.AsObject();
        Assert.That(NotebookRunner.CodeOf(cell), Is.EqualTo("\nvar x = 1;\n"));
    }
}
