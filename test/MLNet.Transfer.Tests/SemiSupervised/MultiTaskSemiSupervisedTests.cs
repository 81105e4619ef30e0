using Microsoft.ML;
using MLNet.Transfer.MLNetIntegration;
using MLNet.Transfer.Models.Heads;
using MLNet.Transfer.Tests.MLNetIntegration;
using MLNet.Transfer.Training.SemiSupervised;

namespace MLNet.Transfer.Tests.SemiSupervised;

/// <summary>Semi-supervised multi-task fine-tuning on a tiny random model: every classification task takes part, reproducibly, and errors are clear.</summary>
[NonParallelizable]
[Category("Unit")]
public class MultiTaskSemiSupervisedTests
{
    private static readonly string[] Topics = ["food", "film", "phone"];

    private sealed class ReviewRow
    {
        public string Text { get; set; } = "";
        public bool Sentiment { get; set; }
        public string Topic { get; set; } = "";
    }

    private sealed class RatedRow
    {
        public string Text { get; set; } = "";
        public float Stars { get; set; }
    }

    private static IDataView Reviews(MLContext mlContext, int count, int offset = 0) => mlContext.Data.LoadFromEnumerable(Enumerable.Range(offset, count).Select(i => new ReviewRow
    {
        Text = $"{Topics[i % 3]} review {i} was {(i % 2 == 0 ? "great" : "awful")}", Sentiment = i % 2 == 0, Topic = Topics[i % 3],
    }).ToList());

    private static IDataView Unlabelled(MLContext mlContext, int count) => mlContext.Data.LoadFromEnumerable(Enumerable.Range(100, count)
        .Select(i => new UnlabelledRow { Text = $"the {Topics[i % 3]} was {(i % 2 == 0 ? "great" : "awful")} {i}" }).ToList());

    private static MultiTaskFineTuneOptions Options(string modelDir, MLContext mlContext, IDataView? unlabelled, SemiSupervisedSettings semi,
                                                    IProgress<SemiSupervisedRound>? rounds = null, bool regression = true) => new()
    {
        Model = modelDir, Epochs = 2, BatchSize = 8, MaxTokens = 24, Seed = 3, LearningRate = 1e-3,
        UnlabeledData = unlabelled, SemiSupervised = semi, SemiSupervisedProgress = rounds,
        Tasks =
        [
            new TextTaskOptions { Name = "sentiment", Kind = TaskKind.Binary, LabelColumnName = "Sentiment" },
            new TextTaskOptions { Name = "topic", Kind = TaskKind.Multiclass, LabelColumnName = "Topic" },
            .. regression ? new[] { new TextTaskOptions
            {
                Name = "stars", Kind = TaskKind.Regression, LabelColumnName = "Stars",
                TrainingData = mlContext.Data.LoadFromEnumerable(Enumerable.Range(0, 12).Select(i => new RatedRow { Text = $"rated {i}", Stars = i % 5 + 1 }).ToList()),
            } } : [],
        ],
    };

    [TestCase(SemiSupervisedMethod.SelfTraining)]
    [TestCase(SemiSupervisedMethod.Consistency)]
    public void EveryClassificationTaskLearnsFromUnlabelledTextReproduciblyAndItChangesTheModel(SemiSupervisedMethod method)
    {
        using var temp = TestModels.TempDir();
        string modelDir = TestModels.TinyModelDirectory(temp.Path);
        var mlContext = new MLContext(seed: 1);
        var rounds = new List<SemiSupervisedRound>();
        var semi = new SemiSupervisedSettings { Method = method, ConfidenceThreshold = 0.34, MaxPseudoLabelsPerClass = 8, BalancePseudoLabels = false };
        List<string> Scores(bool unlabelled)
        {
            var options = Options(modelDir, mlContext, unlabelled ? Unlabelled(mlContext, 48) : null, semi, new SyncRounds(rounds.Add));
            var model = mlContext.Transforms.Text.FineTuneMultiTask(options).Fit(Reviews(mlContext, 24));
            var scored = model.Transform(Reviews(mlContext, 12, 50));
            return [.. TextRows.Column(scored, "sentiment.Score"), .. TextRows.Column(scored, "topic.Score"), .. TextRows.Column(scored, "stars.Score")];
        }
        var first = Scores(true);
        Assert.That(first.Distinct().Count(), Is.GreaterThan(3), "varied outputs, so the comparisons mean something");
        Assert.That(Scores(true), Is.EqualTo(first), "same seed, same model");
        var reports = rounds.ToList();
        Assert.That(Scores(false), Is.Not.EqualTo(first), "the unlabelled texts change training");
        if (method == SemiSupervisedMethod.Consistency)
        {
            Assert.That(reports, Is.Empty, "consistency training has no rounds");
            return;
        }
        foreach (var r in reports) TestContext.Out.WriteLine($"{r} {string.Join("; ", r.PerTask?.Select(p => $"{p.Key}: {string.Join("/", p.Value)}") ?? [])}");
        Assert.That(reports.Select(r => r.Round), Is.EqualTo(new[] { 0, 1, 0, 1 }), "teacher and one student per Fit");
        var student = reports[1];
        Assert.That(student.PerTask!.Keys, Is.EquivalentTo(new[] { "sentiment", "topic" }), "classification tasks only: no pseudo-labels for the regression task");
        Assert.That(student.PerTask["sentiment"], Has.Count.EqualTo(2));
        Assert.That(student.PerTask["topic"], Has.Count.EqualTo(3));
        foreach (var (task, perClass) in student.PerTask)
        {
            Assert.That(perClass, Is.All.InRange(0, 8), $"{task}: at most 8 per class");
            Assert.That(perClass.Sum(), Is.GreaterThan(0), $"{task}: the teacher is confident about some texts");
        }
        Assert.That(student.PseudoLabels, Is.EqualTo(student.PerTask.Values.Sum(p => p.Sum())));
        Assert.That(student.PerClass, Is.EqualTo(student.PerTask["sentiment"]), "PerClass is the first classification task's");
    }

    [Test]
    public void MissingTextColumnEmptyDataOrNoTaskThatLearnsFromUnlabelledTextAreClearErrors()
    {
        var mlContext = new MLContext(seed: 1);
        var data = Reviews(mlContext, 8);
        var noText = mlContext.Data.LoadFromEnumerable(new[] { new BodyRow { Body = "x" } });
        var options = Options("/nonexistent", mlContext, noText, new SemiSupervisedSettings(), regression: false);
        var estimator = mlContext.Transforms.Text.FineTuneMultiTask(options);
        Assert.That(() => estimator.GetOutputSchema(SchemaShapes.FromSchema(data.Schema)),
            Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contain("Unlabelled text column 'Text' was not found"));
        Assert.That(() => estimator.Fit(data), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contain("Unlabelled text column 'Text'"));

        options.UnlabeledData = mlContext.Data.LoadFromEnumerable(new[] { new UnlabelledRow { Text = " " } });
        Assert.That(() => estimator.Fit(data), Throws.InstanceOf<InvalidDataException>().With.Message.Contain("unlabelled data is empty"));

        var regressionOnly = new MultiTaskFineTuneOptions
        {
            Model = "/nonexistent", UnlabeledData = Unlabelled(mlContext, 2),
            Tasks = [new TextTaskOptions { Name = "stars", Kind = TaskKind.Regression, LabelColumnName = "Stars" }],
        };
        var rated = mlContext.Data.LoadFromEnumerable(new[] { new RatedRow { Text = "a", Stars = 1 }, new RatedRow { Text = "b", Stars = 2 } });
        Assert.That(() => mlContext.Transforms.Text.FineTuneMultiTask(regressionOnly).Fit(rated),
            Throws.ArgumentException.With.Message.Contain("needs a binary, multiclass or tagging task; the tasks are stars (Regression)"));
    }
}
