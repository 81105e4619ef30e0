using Microsoft.ML;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.MLNetIntegration;
using MLNet.Transfer.Models;
using MLNet.Transfer.Tests.MLNetIntegration;
using MLNet.Transfer.Text;
using MLNet.Transfer.Training;

namespace MLNet.Transfer.Tests.Reliability;

/// <summary>
/// Out-of-range options and non-finite targets given through the ML.NET surface fail in Fit with an error that names
/// the option (or the row), before any training. (Negative learning rate and a NaN target: MLNetIntegration/FineTuningTrainerTests.)
/// </summary>
[Category("Reliability")]
public class OutOfRangeOptionsTests
{
    private static PretrainedEncoder? _encoder;

    [OneTimeSetUp]
    public void LoadEncoder() => _encoder = TinyPipelines.NewEncoder();

    [OneTimeTearDown]
    public void DisposeEncoder() => _encoder?.Dispose();

    public static IEnumerable<TestCaseData> FineTuneCases()
    {
        TestCaseData Case(string option, Action<FineTuneTransformerOptions> set) => new TestCaseData(set, option);
        yield return Case("LearningRate", o => o.LearningRate = 0).SetName("LearningRateZero");
        yield return Case("LearningRate", o => o.LearningRate = double.PositiveInfinity).SetName("LearningRateInfinite");
        yield return Case("LearningRate", o => o.LearningRate = double.NaN).SetName("LearningRateNaN");
        yield return Case("BatchSize", o => o.BatchSize = 0).SetName("BatchSizeZero");
        yield return Case("MaxTokens", o => o.MaxTokens = 129).SetName("MaxTokensAboveModelPositions");
        yield return Case("MaxTokens", o => o.MaxTokens = 1).SetName("MaxTokensOne");
        yield return Case("Epochs", o => o.Epochs = 0).SetName("EpochsZero");
        yield return Case("WarmupFraction", o => o.WarmupFraction = 1).SetName("WarmupFractionOne");
        yield return Case("LayerLearningRateDecay", o => o.LayerLearningRateDecay = 0).SetName("LayerDecayZero");
        yield return Case("WeightDecay", o => o.WeightDecay = -0.1).SetName("WeightDecayNegative");
        yield return Case("HeadDropout", o => o.HeadDropout = 1).SetName("HeadDropoutOne");
        yield return Case("CheckpointEverySteps", o => o.CheckpointEverySteps = -1).SetName("CheckpointEveryStepsNegative");
        yield return Case("Pooling", o => o.Pooling = (PoolingMode)42).SetName("PoolingUndefined");
        yield return Case("Schedule", o => o.Schedule = (ScheduleKind)42).SetName("ScheduleUndefined");
        yield return Case("Truncation", o => o.Truncation = (TruncationStrategy)42).SetName("TruncationUndefined");
    }

    [TestCaseSource(nameof(FineTuneCases))]
    public void FineTuneOptionOutOfRangeIsNamedInFit(Action<FineTuneTransformerOptions> set, string option)
    {
        var mlContext = new MLContext(seed: 1);
        var options = new FineTuneTransformerOptions { Encoder = _encoder, Epochs = 1, BatchSize = 8, MaxTokens = 32 };
        set(options);
        var progress = new Steps();
        options.Progress = progress;
        Assert.That(() => mlContext.BinaryClassification.Trainers.FineTuneTransformer(options).Fit(TinyPipelines.TrainingRows(mlContext)),
            Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contain(option));
        Assert.That(progress.Count, Is.Zero, "rejected before the first training step");
    }

    public static IEnumerable<TestCaseData> EmbeddingCases()
    {
        TestCaseData Case(string option, Action<ContextualEmbeddingOptions> set) => new TestCaseData(set, option);
        yield return Case("MaxTokens", o => o.MaxTokens = 129).SetName("EmbeddingMaxTokensAboveModelPositions");
        yield return Case("MaxTokens", o => o.MaxTokens = 1).SetName("EmbeddingMaxTokensOne");
        yield return Case("BatchSize", o => o.BatchSize = 0).SetName("EmbeddingBatchSizeZero");
        yield return Case("WindowStride", o => o.WindowStride = -1).SetName("EmbeddingWindowStrideNegative");
        yield return Case("WindowStride", o => { o.MaxTokens = 64; o.WindowStride = 63; }).SetName("EmbeddingWindowStrideAboveMaxTokens");
        yield return Case("Layers", o => o.Layers = [3]).SetName("EmbeddingLayerBeyondTheModel");
        yield return Case("Layers", o => o.Layers = [-4]).SetName("EmbeddingNegativeLayerBeyondTheModel");
        yield return Case("MixWeights", o => { o.Layers = [1, 2]; o.Combination = LayerCombination.ScalarMix; o.MixWeights = [1f]; }).SetName("EmbeddingMixWeightsCount");
        yield return Case("Pooling", o => o.Pooling = (PoolingMode)42).SetName("EmbeddingPoolingUndefined");
        yield return Case("Combination", o => o.Combination = (LayerCombination)42).SetName("EmbeddingCombinationUndefined");
        yield return Case("Truncation", o => o.Truncation = (TruncationStrategy)42).SetName("EmbeddingTruncationUndefined");
    }

    [TestCaseSource(nameof(EmbeddingCases))]
    public void EmbeddingOptionOutOfRangeIsNamedInFit(Action<ContextualEmbeddingOptions> set, string option)
    {
        var mlContext = new MLContext(seed: 1);
        var options = new ContextualEmbeddingOptions { Encoder = _encoder };
        set(options);
        Assert.That(() => mlContext.Transforms.Text.ApplyContextualEmbeddings(options).Fit(TinyPipelines.TrainingRows(mlContext)),
            Throws.InstanceOf<ArgumentException>().With.Message.Contain(option));
    }

    [Test]
    public void NonFiniteTargetsAreRejectedNamingTheRow()
    {
        var mlContext = new MLContext(seed: 1);
        var options = new FineTuneTransformerOptions { Encoder = _encoder, Epochs = 1 };
        foreach (float bad in new[] { float.PositiveInfinity, float.NegativeInfinity })
        {
            var rows = mlContext.Data.LoadFromEnumerable(new[] { new SingleRow { Label = 1, Text = "a" }, new SingleRow { Label = 2, Text = "b" }, new SingleRow { Label = bad, Text = "c" } });
            Assert.That(() => mlContext.Regression.Trainers.FineTuneTransformer(options).Fit(rows),
                Throws.InstanceOf<InvalidDataException>().With.Message.Contain("row 3").And.Message.Contain(bad.ToString()), $"Single {bad}");
        }
        foreach (double bad in new[] { double.NaN, double.PositiveInfinity, double.NegativeInfinity })
        {
            var rows = mlContext.Data.LoadFromEnumerable(new[] { new DoubleRow { Label = 1, Text = "a" }, new DoubleRow { Label = bad, Text = "b" } });
            Assert.That(() => mlContext.Regression.Trainers.FineTuneTransformer(options).Fit(rows),
                Throws.InstanceOf<InvalidDataException>().With.Message.Contain("row 2").And.Message.Contain("not a finite number"), $"Double {bad}");
        }
        var binary = mlContext.Data.LoadFromEnumerable(new[] { new SingleRow { Label = 0, Text = "a" }, new SingleRow { Label = float.NaN, Text = "b" } });
        Assert.That(() => mlContext.BinaryClassification.Trainers.FineTuneTransformer(options).Fit(binary),
            Throws.InstanceOf<InvalidDataException>().With.Message.Contain("row 2").And.Message.Contain("not 0/1"));
    }

    public sealed class SingleRow { public float Label { get; set; } public string Text { get; set; } = ""; }
    public sealed class DoubleRow { public double Label { get; set; } public string Text { get; set; } = ""; }

    private sealed class Steps : IProgress<TrainingProgress>
    {
        public int Count;
        public void Report(TrainingProgress value) => Count++;
    }
}
