using MLNet.Transfer.Models;
using MLNet.Transfer.Models.Bert;
using MLNet.Transfer.Models.Heads;
using MLNet.Transfer.Text;
using MLNet.Transfer.Training;
using static TorchSharp.torch;

namespace MLNet.Transfer.Tests.Training;

[Category("Unit")]
public class MultiTaskTrainingTests
{
    private static readonly FineTuneSettings Settings = new() { LearningRate = 3e-3, Epochs = 4, BatchSize = 16, MaxTokens = 32, Seed = 5 };

    /// <summary>Task "seven": token 7 occurs (binary). Task "nine": how many 9s (0, 1, 2; multiclass). Each set labels one task only.</summary>
    private static List<TrainingExample> TwoDataSets(int perTask, int seed)
    {
        var random = new Random(seed);
        var result = new List<TrainingExample>();
        for (int i = 0; i < 2 * perTask; i++)
        {
            bool sevenSet = i < perTask;
            int length = random.Next(4, 12);
            var ids = new int[length + 2];
            ids[0] = 2; ids[^1] = 3;
            for (int t = 1; t <= length; t++) ids[t] = random.Next(10, TinyTask.Vocab);
            int label = sevenSet ? i % 2 : i % 3;
            for (int k = 0; k < label; k++) ids[1 + k * 2] = sevenSet ? 7 : 9;
            float[]?[] targets = sevenSet ? [[label], null] : [null, [label]];
            result.Add(new TrainingExample(new EncodedText(ids, new int[ids.Length]), targets));
        }
        return result;
    }

    private static TransferModel NewModel()
    {
        manual_seed(3);
        return new TransferModel(new BertModel(TestModels.TinyConfig(TinyTask.Vocab)),
            [new TaskSpec("seven", TaskKind.Binary, 1), new TaskSpec("nine", TaskKind.Multiclass, 3) { LossWeight = 2 }], PoolingMode.Mean, 0.1);
    }

    [Test]
    public void OneEncoderLearnsTwoTasksFromSeparatelyLabelledSets([Values] TaskSampling sampling)
    {
        using var model = NewModel();
        var result = new FineTuner(model, Settings with { TaskSampling = sampling, Epochs = 8 }, 0).Train(TwoDataSets(160, 1), TwoDataSets(48, 2));
        Assert.That(result.BestValidation!["seven.accuracy"], Is.GreaterThan(0.9));
        Assert.That(result.BestValidation["nine.accuracy"], Is.GreaterThan(0.9));
        Assert.That(result.BestValidation["score"], Is.EqualTo((result.BestValidation["seven.accuracy"] + result.BestValidation["nine.accuracy"]) / 2).Within(1e-12));
    }

    [Test]
    public void LossIgnoresRowsWithoutALabelForTheTask()
    {
        var task = new TaskSpec("t", TaskKind.Multiclass, 3);
        using var logits = tensor(new float[] { 1, 2, 3, 0, 0, 5, -1, 4, 0 }).view(3, 3);
        using var withGap = TaskLosses.Compute(task, logits, [[2f], null, [1f]])!;
        using var labelledOnly = TaskLosses.Compute(task, logits.index_select(0, tensor(new long[] { 0, 2 })), [[2f], [1f]])!;
        Assert.That(withGap.item<float>(), Is.EqualTo(labelledOnly.item<float>()).Within(1e-6));
        Assert.That(TaskLosses.Compute(task, logits, [null, null, null]), Is.Null);
    }

    [Test]
    public void EarlyStoppingTaskScoresOnThatTaskOnly()
    {
        var tasks = new[] { new TaskSpec("a", TaskKind.Binary, 1), new TaskSpec("b", TaskKind.Regression, 1) };
        var examples = new[] { new TrainingExample(new EncodedText([2, 3], [0, 0]), [[1f], [2f]]), new TrainingExample(new EncodedText([2, 3], [0, 0]), [[0f], [4f]]) };
        float[][][] outputs = [[[3f], [2f]], [[2f], [2f]]]; // a: one of two right; b: R² = 1 − 4/2 = −1
        var metrics = ValidationMetrics.Compute(tasks, outputs, examples, scoreTask: "a");
        Assert.That(metrics["a.accuracy"], Is.EqualTo(0.5));
        Assert.That(metrics["b.r2"], Is.EqualTo(-1).Within(1e-12));
        Assert.That(metrics["score"], Is.EqualTo(0.5));
        Assert.That(ValidationMetrics.Compute(tasks, outputs, examples)["score"], Is.EqualTo(-0.25).Within(1e-12));
        using var model = NewModel();
        Assert.That(() => new FineTuner(model, Settings with { EarlyStoppingTask = "sarcasm" }, 0),
            Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contain("sarcasm").And.Message.Contain("seven, nine"));
    }
}
