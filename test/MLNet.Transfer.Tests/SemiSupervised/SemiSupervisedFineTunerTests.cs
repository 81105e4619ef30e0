using MLNet.Transfer.Models.Heads;
using MLNet.Transfer.Tests.Training;
using MLNet.Transfer.Text;
using MLNet.Transfer.Training;
using MLNet.Transfer.Training.SemiSupervised;

namespace MLNet.Transfer.Tests.SemiSupervised;

[Category("Unit")]
public class SemiSupervisedFineTunerTests
{
    private static readonly FineTuneSettings Settings = new() { LearningRate = 3e-3, Epochs = 4, BatchSize = 16, MaxTokens = 32, Seed = 5 };

    private static EncodedText[] Pool(int count, int seed) => TinyTask.Examples(count, seed).Select(e => e.Tokens).ToArray();

    [Test]
    public void SelfTrainingPseudoLabelsABalancedSetAndReportsEachRound()
    {
        using var model = TinyTask.NewModel();
        var reports = new List<SemiSupervisedRound>();
        var semi = new SemiSupervisedSettings { Rounds = 2, ConfidenceThreshold = 0.6, MaxPseudoLabelsPerClass = 40 };
        var result = new SemiSupervisedFineTuner(model, Settings, semi, padId: 0)
            .Train(TinyTask.Examples(256, 1), TinyTask.Examples(64, 2), Pool(200, 3), rounds: new SyncRounds(reports.Add));
        foreach (var r in reports) TestContext.Out.WriteLine(r);
        Assert.That(reports[0].Round, Is.EqualTo(0));
        Assert.That(reports[0].ValidationScore, Is.GreaterThan(0.5));
        var student = reports[1];
        Assert.That(student.PseudoLabels, Is.GreaterThan(0).And.EqualTo(student.PerClass.Sum()));
        Assert.That(student.PerClass[0], Is.EqualTo(student.PerClass[1]), "class-balanced");
        Assert.That(student.PerClass[0], Is.LessThanOrEqualTo(40));
        Assert.That(reports[0].Labels, Is.Null, "the teacher's report has no pseudo-labels");
        Assert.That(student.Labels, Has.Count.EqualTo(student.PseudoLabels), "the report lists the round's pseudo-labels");
        Assert.That(student.Labels!.Count(l => l.Class == 1), Is.EqualTo(student.PerClass[1]));
        Assert.That(student.Labels!.Select(l => l.Index), Is.Ordered.Ascending.And.Unique.And.All.InRange(0, 199), "pool positions, in pool order");
        Assert.That(student.Labels!.Select(l => (double)l.Confidence), Is.All.GreaterThanOrEqualTo(0.6));
        Assert.That(reports.Count, Is.InRange(2, 3), "a round that is not better stops the rounds");
        Assert.That(reports.Where(r => r.Kept).Max(r => r.ValidationScore), Is.EqualTo(Score(model)).Within(1e-9), "the kept round's weights are the model's");
        Assert.That(result.Steps, Is.GreaterThan(0));
        Assert.That(model.training, Is.False, "left in evaluation mode, as after supervised training (validation scoring must not switch dropout on)");
    }

    [Test]
    public void SelfTrainingWithTheSameSeedGivesBitIdenticalWeights()
    {
        var semi = new SemiSupervisedSettings { ConfidenceThreshold = 0.55, SoftLabels = true };
        float[] Run()
        {
            using var model = TinyTask.NewModel();
            new SemiSupervisedFineTuner(model, Settings with { Epochs = 2 }, semi, 0).Train(TinyTask.Examples(48, 1), null, Pool(96, 3));
            return TinyTask.Weights(model);
        }
        var a = Run();
        Assert.That(Run(), Is.EqualTo(a));
    }

    [Test]
    public void ConsistencyTrainingWithTheSameSeedGivesBitIdenticalWeightsAndDiffersFromSupervised()
    {
        var semi = new SemiSupervisedSettings { Method = SemiSupervisedMethod.Consistency, ConfidenceThreshold = 0.5, Annealing = AnnealingSchedule.Linear };
        float[] Run(bool unlabelled)
        {
            using var model = TinyTask.NewModel();
            if (unlabelled) new SemiSupervisedFineTuner(model, Settings with { Epochs = 2 }, semi, 0).Train(TinyTask.Examples(48, 1), null, Pool(96, 3));
            else new FineTuner(model, Settings with { Epochs = 2 }, 0).Train(TinyTask.Examples(48, 1));
            return TinyTask.Weights(model);
        }
        var a = Run(true);
        Assert.That(Run(true), Is.EqualTo(a));
        Assert.That(Run(false), Is.Not.EqualTo(a), "the unlabelled loss changes training");
    }

    [Test]
    public void ConsistencyTrainingLearnsTheSyntheticTask()
    {
        using var model = TinyTask.NewModel();
        var semi = new SemiSupervisedSettings { Method = SemiSupervisedMethod.Consistency };
        var result = new SemiSupervisedFineTuner(model, Settings, semi, 0).Train(TinyTask.Examples(256, 1), TinyTask.Examples(64, 2), Pool(200, 3));
        Assert.That(result.BestValidation!["task.accuracy"], Is.GreaterThan(0.9));
    }

    [Test]
    public void BadInputsAreRefusedByName()
    {
        using var model = TinyTask.NewModel();
        var trainer = new SemiSupervisedFineTuner(model, Settings, new SemiSupervisedSettings(), 0);
        Assert.That(() => trainer.Train(TinyTask.Examples(8, 1), null, []), Throws.ArgumentException.With.Message.Contain("unlabelled set is empty"));
        using var regression = TinyTask.NewModel(kind: TaskKind.Regression);
        Assert.That(() => new SemiSupervisedFineTuner(regression, Settings, new SemiSupervisedSettings(), 0).Train(TinyTask.Examples(8, 1), null, Pool(4, 2)),
            Throws.ArgumentException.With.Message.Contain("binary or multiclass"));
        Assert.That(() => new SemiSupervisedSettings { ConfidenceThreshold = 1.5 }.Validate(),
            Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contain("ConfidenceThreshold"));
        Assert.That(() => new SemiSupervisedSettings { Rounds = 0 }.Validate(), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contain("Rounds"));
        Assert.That(() => new SemiSupervisedSettings { SharpeningTemperature = 0 }.Validate(),
            Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contain("SharpeningTemperature"));
    }

    private static double Score(TransferModel model)
    {
        var validation = TinyTask.Examples(64, 2);
        var outputs = new TaskPredictor(model, 0).Predict(validation.Select(e => e.Tokens).ToArray());
        return ValidationMetrics.Compute(model.Tasks, outputs, validation)["score"];
    }
}
