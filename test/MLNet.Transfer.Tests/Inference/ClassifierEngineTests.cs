using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transfer.MLNetIntegration;
using MLNet.Transfer.Models.Heads;
using static MLNet.Transfer.Tests.Inference.EngineTestModels;

namespace MLNet.Transfer.Tests.Inference;

/// <summary>
/// Fine-tuned transformers predict through ONNX Runtime by default and give LibTorch's outputs and ML.NET columns:
/// binary, multiclass, regression, multi-label, several tasks at once, pairs and long texts through windows.
/// </summary>
[Category("Unit")]
public class ClassifierEngineTests
{
    private const double Tolerance = 1e-4;

    private static IEnumerable<TestCaseData> Models()
    {
        yield return new TestCaseData((object)new TaskSpec[] { new("task", TaskKind.Binary, 1) }).SetName("Binary");
        yield return new TestCaseData((object)new TaskSpec[] { new("task", TaskKind.Multiclass, 3) }).SetName("Multiclass");
        yield return new TestCaseData((object)new TaskSpec[] { new("task", TaskKind.Regression, 1) { TargetMean = 3.5, TargetStd = 1.25 } }).SetName("Regression");
        yield return new TestCaseData((object)new TaskSpec[]
        {
            new("sentiment", TaskKind.Binary, 1), new("topic", TaskKind.Multiclass, 4),
            new("stars", TaskKind.Regression, 1) { TargetMean = 3, TargetStd = 2 }, new("tags", TaskKind.MultiLabel, 3),
        }).SetName("MultiTask");
    }

    [TestCaseSource(nameof(Models))]
    public void DefaultEngineIsOnnxRuntimeAndGivesLibTorchsOutputs(TaskSpec[] tasks)
    {
        var mlContext = new MLContext(1);
        var ort = Classifier(tasks);
        var torch = ort.WithInferenceEngine(InferenceEngine.LibTorch);
        Assert.That(ort.InferenceEngine, Is.EqualTo(InferenceEngine.OnnxRuntime));
        Assert.That(torch.InferenceEngine, Is.EqualTo(InferenceEngine.LibTorch));

        var expected = torch.Predict(Texts, null);
        var actual = ort.Predict(Texts, null);
        for (int t = 0; t < tasks.Length; t++) AssertClose(expected[t], actual[t], Tolerance * Math.Max(1, tasks[t].TargetStd), tasks[t].Name);

        // The ML.NET columns (scores, probabilities, thresholds, labels) come from those outputs the same way.
        var ortRows = ort.Transform(Rows(mlContext));
        var torchRows = torch.Transform(Rows(mlContext));
        foreach (var column in ort.OutputColumns.Where(c => c.Name.EndsWith("Score") || c.Name.EndsWith("Probability")))
            AssertClose(Values(torchRows, column.Name), Values(ortRows, column.Name), Tolerance * 4, column.Name);
    }

    [Test]
    public void LongTextsAverageTheSameWindowsAndPairsEncodeAlike()
    {
        TaskSpec[] tasks = [new("task", TaskKind.Multiclass, 3)];
        var windowed = Classifier(tasks, maxTokens: 8, windowStride: 3);
        var windowedTorch = windowed.WithInferenceEngine(InferenceEngine.LibTorch);
        Assert.That(windowed.Encoder.Tokenizer.EncodeWindows(Texts[^1], 8, 3), Has.Count.GreaterThan(10));
        AssertClose(windowedTorch.Predict(Texts, null)[0], windowed.Predict(Texts, null)[0], Tolerance, "windows");

        var pairs = Classifier(tasks, second: nameof(PairRow.Second));
        var pairsTorch = pairs.WithInferenceEngine(InferenceEngine.LibTorch);
        var seconds = Texts.Reverse().ToArray();
        AssertClose(pairsTorch.Predict(Texts, seconds)[0], pairs.Predict(Texts, seconds)[0], Tolerance, "pairs");
    }

    [Test]
    public void BinaryDecisionThresholdsAndLabelsAreTheSameOnBothEngines()
    {
        var mlContext = new MLContext(1);
        var plain = Classifier([new TaskSpec("task", TaskKind.Binary, 1)], pooling: PoolingMode.Cls);
        var logits = plain.Predict(Texts, null)[0].Select(o => o[0]).Order().ToArray();
        float threshold = logits[logits.Length / 2] + 1e-3f; // about half the rows on each side
        var ort = plain.WithColumns([TaskColumns.Standard(null) with { Threshold = threshold }]);
        var torch = ort.WithInferenceEngine(InferenceEngine.LibTorch);
        Assert.That(ort.InferenceEngine, Is.EqualTo(InferenceEngine.OnnxRuntime), "WithColumns keeps the engine");

        var ortLabels = ort.Transform(Rows(mlContext)).GetColumn<bool>("PredictedLabel").ToArray();
        var torchLabels = torch.Transform(Rows(mlContext)).GetColumn<bool>("PredictedLabel").ToArray();
        Assert.That(ortLabels, Is.EqualTo(torchLabels));
        Assert.That(ortLabels.Distinct().Count(), Is.EqualTo(2), "the threshold splits the rows");
        var scores = ort.Transform(Rows(mlContext)).GetColumn<float>("Score").ToArray();
        Assert.That(scores.Zip(ortLabels).All(p => p.First > 0 == p.Second), "Score is the logit minus the threshold");
    }

    [Test]
    public void BatchedRowsEqualOneRowAtATimeThroughPredictionEngine()
    {
        var mlContext = new MLContext(1);
        var ort = Classifier([new TaskSpec("task", TaskKind.Multiclass, 3)]);
        var batched = Values(ort.Transform(Rows(mlContext)), "Score");
        using var engine = mlContext.Model.CreatePredictionEngine<PairRow, Scored>(ort);
        var single = Texts.Select(t => engine.Predict(new PairRow { Text = t }).Score).ToArray();
        Assert.That(Onnx.OnnxTestModels.MaxAbsDiff(batched, single), Is.LessThanOrEqualTo(1e-5));
    }

    /// <summary>A multiclass prediction's class probabilities.</summary>
    public sealed class Scored
    {
        public float[] Score { get; set; } = [];
    }
}
