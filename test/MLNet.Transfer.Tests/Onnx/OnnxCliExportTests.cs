using System.Globalization;
using MLNet.Transfer.Checkpoints;
using MLNet.Transfer.Tests.Cli;
using MLNet.Transfer.Text;
using static MLNet.Transfer.Tests.Onnx.OnnxTestModels;

namespace MLNet.Transfer.Tests.Onnx;

/// <summary><c>mlnet-transfer export</c>: a fine-tuned model.zip becomes an ONNX file that predicts what <c>predict</c> prints.</summary>
[NonParallelizable]
[Category("Unit")]
public class OnnxCliExportTests
{
    [Test]
    public void ExportWritesAnOnnxModelThatAgreesWithPredictAndRefusesOtherApproaches()
    {
        using var temp = TestModels.TempDir();
        string modelDir = Path.Combine(temp.Path, "tiny"), tsv = Path.Combine(temp.Path, "train.tsv");
        using (var bert = TinyBert(seed: 4)) HuggingFaceDirectory.Write(modelDir, bert.Config, bert.state_dict(), Vocabulary);
        File.WriteAllLines(tsv, ["Label\tText", .. Enumerable.Range(0, 16).Select(i => $"{i % 2}\t{(i % 2 == 1 ? "great good film" : "awful slow plot")} {i}")]);
        string zip = Path.Combine(temp.Path, "model.zip"), onnx = Path.Combine(temp.Path, "model.onnx");
        var trained = InProcessCli.Run("train", "--task", "binary", "--train", tsv, "--valid", tsv, "--label-col", "Label", "--text-col", "Text",
                                       "--model", modelDir, "--epochs", "1", "--max-tokens", "16", "--output", zip);
        Assert.That(trained.Code, Is.EqualTo(0), trained.Err);

        var exported = InProcessCli.Run("export", "--model-file", zip, "--output", onnx);
        Assert.That(exported.Code, Is.EqualTo(0), exported.Err);
        Assert.That(exported.Out, Does.Contain("model.onnx"));

        const string text = "the acting was great";
        var predicted = InProcessCli.Run("predict", "--model-file", zip, "--text", text);
        float score = float.Parse(predicted.Out[(predicted.Out.IndexOf("score: ", StringComparison.Ordinal) + 7)..].Trim(), CultureInfo.InvariantCulture);
        var tokenizer = BertWordPieceTokenizer.FromTokens(Vocabulary);
        var outputs = Run(File.ReadAllBytes(onnx), Pad([tokenizer.Encode(text, 16)], tokenizer.PadId));
        Assert.That(outputs["probabilities"].Values[0], Is.EqualTo(score).Within(1e-4), "predict prints the probability rounded to 4 decimals");

        string baseline = Path.Combine(temp.Path, "baseline.zip");
        Assert.That(InProcessCli.Run("train", "--task", "binary", "--approach", "baseline", "--train", tsv, "--valid", tsv, "--label-col", "Label",
                                     "--text-col", "Text", "--output", baseline).Code, Is.EqualTo(0));
        var refused = InProcessCli.Run("export", "--model-file", baseline, "--output", Path.Combine(temp.Path, "baseline.onnx"));
        Assert.That(refused.Code, Is.EqualTo(2));
        Assert.That(refused.Err.Trim(), Does.StartWith("error: ").And.Contain("--approach finetune").And.Not.Contain("\n"));
        Assert.That(File.Exists(Path.Combine(temp.Path, "baseline.onnx")), Is.False);
    }
}
