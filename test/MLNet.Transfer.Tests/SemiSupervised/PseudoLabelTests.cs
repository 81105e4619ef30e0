using MLNet.Transfer.Models.Heads;
using MLNet.Transfer.Training;
using MLNet.Transfer.Training.SemiSupervised;

namespace MLNet.Transfer.Tests.SemiSupervised;

[Category("Unit")]
public class PseudoLabelTests
{
    private static readonly float[][] Pool =
    [
        [0.05f, 0.95f], // 0: confident positive
        [0.40f, 0.60f], // 1: unsure
        [0.97f, 0.03f], // 2: confident negative
        [0.01f, 0.99f], // 3: the most confident positive
        [0.08f, 0.92f], // 4: confident positive
        [0.85f, 0.15f], // 5: negative below 0.9
    ];

    [Test]
    public void OnlyTextsAtTheThresholdAreLabelledAndEveryClassGetsAsManyAsTheRarest()
    {
        var balanced = PseudoLabels.Select(Pool, 0.9, maxPerClass: 100, balance: true);
        Assert.That(balanced.Select(l => (l.Index, l.Class)), Is.EqualTo(new[] { (2, 0), (3, 1) }), "one per class: the confident negative and the most confident positive");
        Assert.That(balanced[1].Confidence, Is.EqualTo(0.99f));

        var all = PseudoLabels.Select(Pool, 0.9, maxPerClass: 100, balance: false);
        Assert.That(all.Select(l => l.Index), Is.EqualTo(new[] { 0, 2, 3, 4 }), "every confident text, in pool order; 1 and 5 are below 0.9");

        var capped = PseudoLabels.Select(Pool, 0.9, maxPerClass: 2, balance: false);
        Assert.That(capped.Select(l => l.Index), Is.EqualTo(new[] { 0, 2, 3 }), "two positives at most: the most confident (3, then 0)");

        var lower = PseudoLabels.Select(Pool, 0.8, maxPerClass: 100, balance: true);
        Assert.That(lower.Select(l => l.Index), Is.EqualTo(new[] { 0, 2, 3, 5 }), "two negatives reach 0.8, so the two most confident positives: 3 and 0");
    }

    [Test]
    public void ARandomSelectionDrawsAmongEveryConfidentTextReproducibly()
    {
        // 200 confident positives (confidence rising with the index) and 200 confident negatives; cap 20 per class.
        float[][] pool = [.. Enumerable.Range(0, 400).Select(i => i % 2 == 0 ? new[] { 0.05f, 0.91f + i * 1e-4f } : new[] { 0.91f + i * 1e-4f, 0.05f })];
        var top = PseudoLabels.Select(pool, 0.9, maxPerClass: 20, balance: true);
        Assert.That(top.Select(l => l.Index).Min(), Is.EqualTo(360), "the most confident: the last 20 of each class");

        var drawn = PseudoLabels.Select(pool, 0.9, maxPerClass: 20, balance: true, sample: new Random(3));
        Assert.That(drawn, Has.Count.EqualTo(40));
        Assert.That(drawn.Count(l => l.Class == 1), Is.EqualTo(20), "still balanced");
        Assert.That(drawn.Select(l => l.Index), Is.Ordered.Ascending.And.Unique, "pool order");
        Assert.That(drawn.Count(l => l.Index < 200), Is.InRange(10, 30), "drawn from the whole confident range, not its top (expected 20 of 40 below 200)");
        Assert.That(PseudoLabels.Select(pool, 0.9, 20, true, new Random(3)).Select(l => l.Index), Is.EqualTo(drawn.Select(l => l.Index)), "same generator seed, same draw");
        Assert.That(PseudoLabels.Select(pool, 0.9, 1000, true, new Random(3)), Has.Count.EqualTo(400), "under the cap every confident text is taken");
        Assert.That(new SemiSupervisedSettings().Selection, Is.EqualTo(PseudoLabelSelection.MostConfident));
        Assert.That(() => new SemiSupervisedSettings { Selection = (PseudoLabelSelection)7 }.Validate(),
                    Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contain("Selection"));
    }

    [Test]
    public void AClassWithNoConfidentTextMeansNoBalancedPseudoLabels()
    {
        float[][] onlyPositive = [[0.02f, 0.98f], [0.5f, 0.5f]];
        Assert.That(PseudoLabels.Select(onlyPositive, 0.9, 100, balance: true), Is.Empty);
        Assert.That(PseudoLabels.Select(onlyPositive, 0.9, 100, balance: false).Single().Index, Is.EqualTo(0));
    }

    [Test]
    public void ProbabilitiesAndTargetsOfBothKinds()
    {
        Assert.That(PseudoLabels.Probabilities(TaskKind.Binary, [0f]), Is.EqualTo(new[] { 0.5f, 0.5f }));
        var binary = PseudoLabels.Probabilities(TaskKind.Binary, [2f]);
        Assert.That(binary[1], Is.EqualTo(1 / (1 + Math.Exp(-2))).Within(1e-6));
        var multi = PseudoLabels.Probabilities(TaskKind.Multiclass, [1f, 2f, 3f]);
        double z = Math.Exp(1) + Math.Exp(2) + Math.Exp(3);
        Assert.That(multi, Is.EqualTo(new[] { Math.Exp(1) / z, Math.Exp(2) / z, Math.Exp(3) / z }).Within(1e-6));

        var label = new PseudoLabel(7, 1, [0.1f, 0.9f]);
        Assert.That(label.Target(TaskKind.Binary, soft: false), Is.EqualTo(new[] { 1f }));
        Assert.That(label.Target(TaskKind.Binary, soft: true), Is.EqualTo(new[] { 0.9f }));
        var three = new PseudoLabel(0, 2, [0.1f, 0.2f, 0.7f]);
        Assert.That(three.Target(TaskKind.Multiclass, soft: false), Is.EqualTo(new[] { 2f }));
        Assert.That(three.Target(TaskKind.Multiclass, soft: true), Is.EqualTo(new[] { 0.1f, 0.2f, 0.7f }));
        Assert.That(() => PseudoLabels.Probabilities(TaskKind.Regression, [1f]), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void SoftMulticlassTargetsGiveTheCrossEntropyOfTheDistribution()
    {
        var task = new TaskSpec("task", TaskKind.Multiclass, 3);
        var logits = TorchSharp.torch.tensor(new float[,] { { 1f, 2f, 0.5f }, { -1f, 0f, 3f } });
        double hard = TaskLosses.Compute(task, logits, [[1f], [2f]])!.item<float>();
        double oneHot = TaskLosses.Compute(task, logits, [[0f, 1f, 0f], [0f, 0f, 1f]])!.item<float>();
        Assert.That(oneHot, Is.EqualTo(hard).Within(1e-6), "a one-hot soft target is the hard label");
        double soft = TaskLosses.Compute(task, logits, [[0.2f, 0.8f, 0f], [0f, 0f, 1f]])!.item<float>();
        var p0 = PseudoLabels.Probabilities(TaskKind.Multiclass, [1f, 2f, 0.5f]);
        var p1 = PseudoLabels.Probabilities(TaskKind.Multiclass, [-1f, 0f, 3f]);
        double expected = (-(0.2 * Math.Log(p0[0]) + 0.8 * Math.Log(p0[1])) - Math.Log(p1[2])) / 2;
        Assert.That(soft, Is.EqualTo(expected).Within(1e-5));
        Assert.That(TaskLosses.ClassOf([0.2f, 0.8f, 0f]), Is.EqualTo(1));
    }
}
