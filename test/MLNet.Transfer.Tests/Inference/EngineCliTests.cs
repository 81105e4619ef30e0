using System.Text.Json;
using MLNet.Transfer.Tests.Cli;

namespace MLNet.Transfer.Tests.Inference;

/// <summary><c>embed --engine</c>: both engines print the same vectors to float rounding; an unknown engine is a clear error.</summary>
[Category("Unit")]
public class EngineCliTests
{
    [Test]
    public void EmbedPrintsTheSameVectorsOnBothEnginesAndRejectsAnUnknownOne()
    {
        using var temp = TestModels.TempDir();
        string dir = TestModels.TinyModelDirectory(temp.Path);
        float[][] Embed(params string[] engine)
        {
            var (code, output, error) = InProcessCli.Run(["embed", "--model", dir, "--json", "--text", "A great film.", .. engine]);
            Assert.That(code, Is.EqualTo(0), error);
            return output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(line => JsonDocument.Parse(line).RootElement.GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray();
        }

        var byDefault = Embed();
        Assert.That(byDefault[0].Distinct().Count(), Is.GreaterThan(10), "a real vector");
        Assert.That(Embed("--engine", "onnxruntime"), Is.EqualTo(byDefault), "auto runs ONNX Runtime for a BERT directory");
        Assert.That(Embed("--engine", "libtorch")[0], Is.EqualTo(byDefault[0]).Within(1e-5));

        var (failed, _, message) = InProcessCli.Run("embed", "--model", dir, "--text", "hi", "--engine", "gpu");
        Assert.That(failed, Is.EqualTo(2));
        Assert.That(message, Does.Contain("--engine must be one of auto, onnxruntime, libtorch"));
    }
}
