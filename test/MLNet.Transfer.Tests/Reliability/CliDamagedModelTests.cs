using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;

using MLNet.Transfer.Tests.Cli;

namespace MLNet.Transfer.Tests.Reliability;

/// <summary>
/// The CLI with damaged or foreign model files (truncated, empty, not ours, from another format version) and with
/// training runs that fail: exit code 2, exactly one "error:" line without a stack trace, and an existing output
/// model left byte-for-byte intact. (A file that is not a zip at all: Cli/CliTests.)
/// </summary>
[NonParallelizable]
[Category("Reliability")]
public class CliDamagedModelTests
{
    private TempDirectory _temp = null!;
    private string _model = null!, _tinyModelDirectory = null!, _train = null!, _valid = null!, _checkpoints = null!;

    [OneTimeSetUp]
    public void TrainATinyModelWithTheCli()
    {
        _temp = TestModels.TempDir();
        _tinyModelDirectory = TestModels.TinyModelDirectory(_temp.Path);
        _train = WriteTsv("train.tsv", 40);
        _valid = WriteTsv("valid.tsv", 8);
        _model = Path.Combine(_temp.Path, "model.zip");
        _checkpoints = Path.Combine(_temp.Path, "checkpoints");
        var (code, _, error) = InProcessCli.Run(TrainArgs(_train, _model, "--checkpoint-dir", _checkpoints));
        Assert.That(code, Is.EqualTo(0), error);
    }

    [OneTimeTearDown]
    public void DeleteFiles() => _temp.Dispose();

    [Test]
    public void DamagedOrForeignModelFilesGiveOneErrorLineAndExitCodeTwo()
    {
        byte[] good = File.ReadAllBytes(_model);
        var variants = new Dictionary<string, (byte[] Bytes, string Reason)>
        {
            ["truncated-half"] = (good[..(good.Length / 2)], "not a valid model file"),
            ["truncated-end"] = (good[..^100], "not a valid model file"),
            ["empty"] = ([], "not a valid model file"),
            ["newer-component-version"] = (Edit(good, zip => PatchModelHeader(zip, "MLNTFTUN", header => { header[8] = 99; header[12] = 99; })), "too new"),
            ["other-component-type"] = (Edit(good, zip => PatchModelHeader(zip, "MLNTFTUN", header => header[7] = (byte)'X')), "Unknown file type"),
        };
        string test = WriteTsv("test.tsv", 6);
        var lines = new List<string>();
        foreach (var (name, (bytes, reason)) in variants)
        {
            string path = Path.Combine(_temp.Path, name + ".zip");
            File.WriteAllBytes(path, bytes);
            foreach (string[] args in new[] { new[] { "predict", "--model-file", path, "--text", "hello" }, ["evaluate", "--model-file", path, "--test", test] })
            {
                var (code, output, error) = InProcessCli.Run(args);
                string all = (output + error).Trim();
                Assert.That(code, Is.EqualTo(2), $"{name} {args[0]}: {all}");
                Assert.That(error.TrimEnd().Split('\n'), Has.Length.EqualTo(1), $"{name} {args[0]}: {all}");
                Assert.That(error, Does.StartWith("error: ").And.Contain(path).And.Contain(reason).And.Not.Contain("   at "), $"{name} {args[0]}");
                if (args[0] == "predict") lines.Add($"{name}: {error.Trim()}");
            }
        }
        TestContext.Out.WriteLine(string.Join(Environment.NewLine, lines));
    }

    [Test]
    public void AModelWithoutTheCliInfoEntryIsReadFromItsSchemaAndPredictsTheSame()
    {
        string path = Path.Combine(_temp.Path, "without-info.zip");
        File.WriteAllBytes(path, Edit(File.ReadAllBytes(_model), zip => zip.GetEntry("MLNetTransfer.Cli.json")!.Delete()));
        var with = InProcessCli.Run("predict", "--model-file", _model, "--text", "hello there");
        var without = InProcessCli.Run("predict", "--model-file", path, "--text", "hello there");
        Assert.That(without.Code, Is.EqualTo(0), without.Err);
        Assert.That(without.Out, Is.EqualTo(with.Out));
    }

    [Test]
    public void FailedTrainingLeavesTheExistingModelFileIntact()
    {
        string output = Path.Combine(_temp.Path, "out", "model.zip");
        Directory.CreateDirectory(Path.GetDirectoryName(output)!);
        File.Copy(_model, output);
        byte[] before = SHA256.HashData(File.ReadAllBytes(output));

        string corrupt = Path.Combine(_temp.Path, "corrupt-model");
        Directory.CreateDirectory(corrupt);
        foreach (string file in Directory.GetFiles(_tinyModelDirectory)) File.Copy(file, Path.Combine(corrupt, Path.GetFileName(file)));
        string weights = Path.Combine(corrupt, "model.safetensors");
        File.WriteAllBytes(weights, File.ReadAllBytes(weights)[..4096]);
        string oneClass = Path.Combine(_temp.Path, "one-class.tsv");
        File.WriteAllLines(oneClass, ["Label\tText", .. Enumerable.Range(0, 10).Select(i => $"1\tgood {i}")]);
        string otherData = WriteTsv("other.tsv", 30);

        string[][] failures =
        [
            TrainArgs(_train, output, "--model", corrupt),                             // encoder fails to load inside Fit
            TrainArgs(oneClass, output),                                               // data rejected
            TrainArgs(otherData, output, "--checkpoint-dir", _checkpoints),           // checkpoint of another run, found inside Fit
            TrainArgs(_train, output, "--label-col", "Stars"),                         // missing column
        ];
        foreach (var args in failures)
        {
            var (code, stdout, error) = InProcessCli.Run(args);
            Assert.That(code, Is.EqualTo(2), string.Join(' ', args) + " → " + stdout + error);
            Assert.That(error.TrimEnd().Split('\n'), Has.Length.EqualTo(1), error);
            Assert.That(SHA256.HashData(File.ReadAllBytes(output)), Is.EqualTo(before), "the previous model was changed: " + error);
            Assert.That(Directory.GetFiles(Path.GetDirectoryName(output)!).Select(Path.GetFileName), Is.EqualTo(new[] { "model.zip" }), "leftover files beside the output");
        }
        var (predictCode, prediction, predictError) = InProcessCli.Run("predict", "--model-file", output, "--text", "good");
        Assert.That(predictCode, Is.EqualTo(0), predictError);
        Assert.That(prediction, Does.StartWith("label: "));
    }

    private string[] TrainArgs(string train, string output, params string[] extra) =>
        ["train", "--task", "binary", "--train", train, "--valid", _valid, "--label-col", "Label", "--text-col", "Text", "--model", _tinyModelDirectory,
         "--epochs", "1", "--max-tokens", "32", "--batch-size", "8", "--output", output, .. extra];

    private string WriteTsv(string name, int rows)
    {
        string path = Path.Combine(_temp.Path, name);
        File.WriteAllLines(path, ["Label\tText", .. Enumerable.Range(0, rows).Select(i => i % 2 == 0 ? $"1\tlovely and good, number {i}" : $"0\tbad and dull, number {i}")]);
        return path;
    }

    private static byte[] Edit(byte[] zipBytes, Action<ZipArchive> edit)
    {
        using var buffer = new MemoryStream();
        buffer.Write(zipBytes);
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Update, leaveOpen: true)) edit(zip);
        return buffer.ToArray();
    }

    /// <summary>
    /// Edits ML.NET's model header of the component whose 8-character model signature is <paramref name="signature"/>:
    /// the span passed to <paramref name="patch"/> starts at the signature (then uint versionWritten, uint versionReadable).
    /// </summary>
    private static void PatchModelHeader(ZipArchive zip, string signature, Action<byte[]> patch)
    {
        byte[] needle = Encoding.ASCII.GetBytes(signature);
        foreach (var entry in zip.Entries.Where(e => e.Name == "Model.key").ToList())
        {
            byte[] bytes;
            using (var source = entry.Open()) using (var copy = new MemoryStream()) { source.CopyTo(copy); bytes = copy.ToArray(); }
            int at = bytes.AsSpan().IndexOf(needle);
            if (at < 0) continue;
            byte[] header = bytes[at..(at + 16)];
            patch(header);
            header.CopyTo(bytes, at);
            string name = entry.FullName;
            entry.Delete();
            using var target = zip.CreateEntry(name).Open();
            target.Write(bytes);
            return;
        }
        throw new InvalidOperationException($"No Model.key with signature {signature}.");
    }
}
