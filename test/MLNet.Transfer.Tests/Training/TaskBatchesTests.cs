using MLNet.Transfer.Text;
using MLNet.Transfer.Training;

namespace MLNet.Transfer.Tests.Training;

[Category("Unit")]
public class TaskBatchesTests
{
    /// <summary>900 examples labelled for task 0 only, 100 for task 1 only.</summary>
    private static List<TrainingExample> Unbalanced()
    {
        var random = new Random(1);
        return Enumerable.Range(0, 1000).Select(i =>
        {
            var ids = new int[random.Next(3, 30)];
            float[]?[] targets = i < 900 ? [[1f], null] : [null, [0f]];
            return new TrainingExample(new EncodedText(ids, new int[ids.Length]), targets);
        }).ToList();
    }

    [Test]
    public void ProportionalCoversEveryExampleOncePerEpoch()
    {
        var plan = TaskBatches.ForEpoch(Unbalanced(), 32, seed: 4, epoch: 0);
        Assert.That(plan, Has.Count.EqualTo(32));
        Assert.That(plan.SelectMany(b => b).Order(), Is.EqualTo(Enumerable.Range(0, 1000)));
    }

    [Test]
    public void TemperatureDrawsWholeBatchesFromOneSetAndFavoursTheSmallOne()
    {
        var examples = Unbalanced();
        int smallBatches = 0, steps = 0;
        for (int epoch = 0; epoch < 20; epoch++)
        {
            var plan = TaskBatches.ForEpoch(examples, 32, seed: 4, epoch, TaskSampling.Temperature, temperature: 5);
            Assert.That(plan, Has.Count.EqualTo(32));
            foreach (var batch in plan)
            {
                bool small = batch[0] >= 900;
                Assert.That(batch.All(i => i >= 900 == small), Is.True, "a batch mixes data sets");
                if (small) smallBatches++;
            }
            steps += plan.Count;
        }
        // p(small) = 100^(1/5) / (100^(1/5) + 900^(1/5)) ≈ 0.39, against 0.1 proportionally.
        Assert.That(smallBatches / (double)steps, Is.InRange(0.32, 0.46));
    }

    [Test]
    public void SameSeedAndEpochGiveTheSamePlan()
    {
        var examples = Unbalanced();
        var a = TaskBatches.ForEpoch(examples, 16, 9, 2, TaskSampling.Temperature, 2);
        var b = TaskBatches.ForEpoch(examples, 16, 9, 2, TaskSampling.Temperature, 2);
        var c = TaskBatches.ForEpoch(examples, 16, 9, 3, TaskSampling.Temperature, 2);
        Assert.That(a, Is.EqualTo(b));
        Assert.That(a, Is.Not.EqualTo(c));
    }
}
