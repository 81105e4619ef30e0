using System.IO.Compression;
using Microsoft.ML;
using MLNet.Transfer.Cli;
using MLNet.Transfer.MLNetIntegration;
using MLNet.Transfer.Tests.MLNetIntegration;

using MLNet.Transfer.Tests.Cli;

namespace MLNet.Transfer.Tests.Reliability;

/// <summary>
/// Model zips with entries named to escape a folder ("../x", "../../x", "dir/../../x", "..\x", an absolute path) must
/// never write outside one. Where zip entries reach the disk: ML.NET's Model.Load extracts only the entries a loader
/// asks for, by name, to random file names in its temp folder; our loaders ask only for fixed stream names; the CLI
/// reads one fixed entry. (The embedded models are read from NuGet DLL resources with fixed names, never from a zip.)
/// </summary>
[NonParallelizable]
[Category("Reliability")]
public class ZipSlipTests
{
    private static readonly string[] Texts = ["a good film", "a bad film", "😀 [SEP] ﻿"];

    [Test]
    public void EscapingEntriesAreIgnoredByModelLoadAndTheCli()
    {
        using var temp = TestModels.TempDir();
        string tag = Guid.NewGuid().ToString("N")[..8];
        string zip = Path.Combine(temp.Path, "models", "chain.zip");
        Directory.CreateDirectory(Path.GetDirectoryName(zip)!);
        var (trainContext, model) = TinyPipelines.SaveAndLoadChain(zip);
        var expected = Scores(trainContext, model);
        string absolute = Path.Combine(temp.Path, "absolute", $"evil-{tag}.txt");
        string cliZip = Path.Combine(temp.Path, "models", "cli.zip");
        ModelFile.Save(trainContext, model, TinyPipelines.TrainingRows(trainContext).Schema,
            new ModelInfo("binary", "finetune", "Label", "Text", null, "tiny"), cliZip);
        foreach (string path in new[] { zip, cliZip })
            AddEntries(path, $"../evil-{tag}.txt", $"../../evil-{tag}.txt", $"TransformerChain/../../../evil-{tag}.txt",
                       $"..\\..\\evil-{tag}.txt", absolute, $"TransformerChain/Transform_001/../../../evil-{tag}.txt");

        // ML.NET's loader, with its temp folder inside ours so that any escape lands where we look.
        var mlContext = new MLContext(seed: 1) { TempFilePath = Directory.CreateDirectory(Path.Combine(temp.Path, "sandbox", "ml-temp")).FullName }
            .RegisterTransferComponents();
        var loaded = mlContext.Model.Load(zip, out _);
        Assert.That(Scores(mlContext, loaded), Is.EqualTo(expected), "the extra entries change nothing");

        // The CLI's reader (ModelFile) on the same kind of zip.
        var (code, output, error) = InProcessCli.Run("predict", "--model-file", cliZip, "--text", "a good film");
        Assert.That(code, Is.EqualTo(0), error);
        Assert.That(output, Does.StartWith("label: "));

        string[] escaped = [.. Directory.EnumerateFiles(temp.Path, "evil-*", SearchOption.AllDirectories)
            .Concat(Directory.EnumerateFiles(Path.GetTempPath(), $"evil-{tag}*"))
            .Concat(Directory.EnumerateFiles(Directory.GetCurrentDirectory(), $"evil-{tag}*"))
            .Concat(Directory.EnumerateFiles(AppContext.BaseDirectory, $"evil-{tag}*"))];
        Assert.That(escaped, Is.Empty, "an entry was written outside the model's folder");
        Assert.That(File.Exists(absolute), Is.False);
    }

    [Test]
    public void PayloadEntryMovedOutsideItsFolderFailsNamingTheMissingEntry()
    {
        using var temp = TestModels.TempDir();
        string zip = Path.Combine(temp.Path, "chain.zip");
        TinyPipelines.SaveAndLoadChain(zip);
        string moved;
        using (var archive = ZipFile.Open(zip, ZipArchiveMode.Update))
        {
            var entry = archive.Entries.First(e => e.FullName.EndsWith("Weights.safetensors", StringComparison.Ordinal));
            moved = entry.FullName;
            using var copy = new MemoryStream();
            using (var source = entry.Open()) source.CopyTo(copy);
            entry.Delete();
            using var target = archive.CreateEntry("../" + moved).Open();
            target.Write(copy.ToArray());
        }

        var mlContext = new MLContext(seed: 1).RegisterTransferComponents();
        var error = Assert.Catch(() => mlContext.Model.Load(zip, out _))!;
        var format = error.Chain().OfType<FormatException>().FirstOrDefault();
        Assert.That(format?.Message, Does.Contain($"'{moved}'").And.Contain("missing"), error.ToString());
    }

    private static void AddEntries(string zip, params string[] names)
    {
        using var archive = ZipFile.Open(zip, ZipArchiveMode.Update);
        foreach (string name in names)
        {
            using var writer = new StreamWriter(archive.CreateEntry(name).Open());
            writer.Write("if you can read this outside the zip, extraction followed an entry name");
        }
    }

    private static float[] Scores(MLContext mlContext, ITransformer model)
    {
        var engine = mlContext.Model.CreatePredictionEngine<TextRow, ChainPrediction>(model);
        return [.. Texts.Select(t => engine.Predict(new TextRow { Text = t }).Score)];
    }
}
