using Microsoft.ML;
using MLNet.Transfer.MLNetIntegration;
using MLNet.Transfer.Tests.Cli;
using MLNet.Transfer.Tests.MLNetIntegration;
using MLNet.Transfer.Training.SemiSupervised;

namespace MLNet.Transfer.Tests.SemiSupervised;

/// <summary>The ML.NET trainer's and the CLI's semi-supervised options on a tiny random model: plumbing and errors.</summary>
[NonParallelizable]
[Category("Unit")]
public class SemiSupervisedTrainerTests
{

    private static IDataView Labelled(MLContext mlContext) => mlContext.Data.LoadFromEnumerable(Enumerable.Range(0, 24)
        .Select(i => new TextRow { Label = i % 2 == 0, Text = i % 2 == 0 ? $"good great fine {i}" : $"bad awful poor {i}" }).ToList());

    private static IDataView Unlabelled(MLContext mlContext, int count) => mlContext.Data.LoadFromEnumerable(Enumerable.Range(0, count)
        .Select(i => new UnlabelledRow { Text = i % 2 == 0 ? $"a good one {i}" : $"a bad one {i}" }).ToList());

    [TestCase(SemiSupervisedMethod.SelfTraining)]
    [TestCase(SemiSupervisedMethod.Consistency)]
    public void BinaryFineTuningTrainsWithUnlabelledDataAndIsReproducible(SemiSupervisedMethod method)
    {
        using var temp = TestModels.TempDir();
        string modelDir = TestModels.TinyModelDirectory(temp.Path);
        var mlContext = new MLContext(seed: 1);
        var rounds = new List<SemiSupervisedRound>();
        List<string> Scores()
        {
            var options = new FineTuneTransformerOptions
            {
                Model = modelDir, Epochs = 2, BatchSize = 8, MaxTokens = 16, Seed = 3, UnlabeledData = Unlabelled(mlContext, 40),
                SemiSupervised = new SemiSupervisedSettings { Method = method, ConfidenceThreshold = 0.5 },
                SemiSupervisedProgress = new SyncRounds(rounds.Add),
            };
            var model = mlContext.BinaryClassification.Trainers.FineTuneTransformer(options).Fit(Labelled(mlContext));
            return TextRows.Column(model.Transform(Labelled(mlContext)), "Score");
        }
        var first = Scores();
        Assert.That(first.Distinct().Count(), Is.GreaterThan(1), "varied scores, so the comparison means something");
        Assert.That(Scores(), Is.EqualTo(first));
        if (method == SemiSupervisedMethod.SelfTraining)
            Assert.That(rounds.Select(r => r.Round), Is.EqualTo(new[] { 0, 1, 0, 1 }), "teacher and one student per Fit");
        else Assert.That(rounds, Is.Empty);
    }

    [Test]
    public void MissingOrEmptyUnlabelledDataAndUnsupportedTasksAreClearErrors()
    {
        var mlContext = new MLContext(seed: 1);
        var labelled = Labelled(mlContext);
        var noText = mlContext.Data.LoadFromEnumerable(new[] { new BodyRow { Body = "x" } });
        var options = new FineTuneTransformerOptions { Model = "/nonexistent", UnlabeledData = noText };
        var trainer = mlContext.BinaryClassification.Trainers.FineTuneTransformer(options);
        Assert.That(() => trainer.GetOutputSchema(SchemaShapes.FromSchema(labelled.Schema)),
            Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contain("Unlabelled text column 'Text' was not found"));
        Assert.That(() => trainer.Fit(labelled), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contain("Unlabelled text column 'Text'"));

        options.UnlabeledData = mlContext.Data.LoadFromEnumerable(new[] { new UnlabelledRow { Text = "  " } });
        Assert.That(() => trainer.Fit(labelled), Throws.InstanceOf<InvalidDataException>().With.Message.Contain("unlabelled data is empty"));

        var regression = mlContext.Regression.Trainers.FineTuneTransformer(new FineTuneTransformerOptions { UnlabeledData = Unlabelled(mlContext, 4) });
        var scores = mlContext.Data.LoadFromEnumerable(new[] { new FineTuningTrainerTests.ScoreRow { Label = 1, Text = "a" } });
        Assert.That(() => regression.Fit(scores), Throws.ArgumentException.With.Message.Contain("binary or multiclass"));
    }

    [Test]
    public void TheCliRejectsAMissingFileAndOptionsItDoesNotApplyTo()
    {
        using var temp = TestModels.TempDir();
        string zip = Path.Combine(temp.Path, "m.zip"), missing = Path.Combine(temp.Path, "none.txt"), blank = Path.Combine(temp.Path, "blank.txt");
        File.WriteAllText(blank, "\n  \n");
        string[] train = ["train", "--task", "binary", "--train", RepoData.Uci("yelp"), "--output", zip];
        void Fails(string[] args, string message)
        {
            var r = InProcessCli.Run(args);
            Assert.That(r.Code, Is.EqualTo(2), r.Out + r.Err);
            Assert.That(r.Err.Trim(), Does.Contain(message).And.Not.Contain("\n"));
        }
        Fails([.. train, "--unlabelled", missing], "--unlabelled: file not found");
        Fails([.. train, "--unlabelled", blank], "has no text");
        Fails([.. train, "--semi-supervised", "uda"], "--semi-supervised needs --unlabelled");
        Fails([.. train, "--unlabelled", blank, "--semi-supervised", "mixmatch"], "mixmatch");
        Fails([.. train, "--unlabelled", blank, "--approach", "baseline"], "--unlabelled applies to --approach finetune");
        Fails(["train", "--task", "regression", "--train", RepoData.Uci("yelp"), "--output", zip, "--unlabelled", blank],
              "--unlabelled applies to --task binary, multiclass, multitask or tagging, not regression");
        Fails([.. train, "--self-training-rounds", "2"], "--self-training-rounds needs --unlabelled");
        Fails([.. train, "--pseudo-label-threshold", "0.8"], "--pseudo-label-threshold needs --unlabelled");
        Fails([.. train, "--unlabelled", blank, "--semi-supervised", "uda", "--self-training-rounds", "2"], "--self-training-rounds applies to --semi-supervised self-training");
        Fails([.. train, "--unlabelled", blank, "--pseudo-label-threshold", "1.5"], "--pseudo-label-threshold must be a number between 0 and");
        Fails([.. train, "--unlabelled", blank, "--self-training-rounds", "0"], "--self-training-rounds must be an integer between 1 and 20");
        Fails([.. train, "--pseudo-label-selection", "random"], "--pseudo-label-selection needs --unlabelled");
        Fails([.. train, "--unlabelled", blank, "--pseudo-label-selection", "newest"], "--pseudo-label-selection must be one of most-confident, random");
        Fails([.. train, "--unlabelled", blank, "--semi-supervised", "uda", "--pseudo-label-selection", "random"], "--pseudo-label-selection applies to --semi-supervised self-training");
    }

    [Test]
    public void TheCliSelfTrainsATaggerAndAMultiTaskModelWithTheRoundsAndThresholdGiven()
    {
        using var temp = TestModels.TempDir();
        string model = TestModels.TinyModelDirectory(temp.Path), zip = Path.Combine(temp.Path, "m.zip");
        string conll = Path.Combine(temp.Path, "train.conll"), sentences = Path.Combine(temp.Path, "sentences.txt"), texts = Path.Combine(temp.Path, "texts.txt");
        using (var w = new StreamWriter(conll)) MLNet.Transfer.Text.Tagging.ConllReader.Write(w, Tagging.TinyTagging.Sentences(40, 1));
        File.WriteAllLines(sentences, Tagging.TinyTagging.Sentences(30, 3).Select(s => string.Join(' ', s.Tokens)));
        var tagging = InProcessCli.Run("train", "--task", "tagging", "--train", conll, "--model", model, "--epochs", "1", "--max-tokens", "32",
                                       "--unlabelled", sentences, "--self-training-rounds", "2", "--pseudo-label-threshold", "0.2", "--output", zip);
        Assert.That(tagging.Code, Is.EqualTo(0), tagging.Out + tagging.Err);
        Assert.That(tagging.Out, Does.Contain("Unlabelled: 30 texts").And.Contain("self-training, 2 round(s), confidence 0.2"));
        Assert.That(tagging.Out, Does.Contain("self-training round 0 (teacher, labels only)").And.Match(@"self-training round 1/2: \d+ pseudo-labelled sentences"));

        File.WriteAllLines(texts, Enumerable.Range(0, 30).Select(i => i % 2 == 0 ? $"a good one {i}" : $"a bad one {i}"));
        string yelp = RepoData.Uci("yelp");
        var multi = InProcessCli.Run("train", "--task", "multitask", "--train", $"yelp={yelp}:Label:binary", "--train", $"tags={conll}:tagging", "--model", model,
                                     "--epochs", "1", "--max-tokens", "16", "--unlabelled", texts, "--pseudo-label-threshold", "0.5",
                                     "--pseudo-label-selection", "random", "--output", zip);
        Assert.That(multi.Code, Is.EqualTo(0), multi.Out + multi.Err);
        Assert.That(multi.Out, Does.Contain("confidence 0.5, random pseudo-labels"));
        Assert.That(multi.Out, Does.Contain("self-training round 0").And.Match(@"self-training round 1/1: \d+ pseudo-labels \(yelp: \d+ / \d+; tags: \d+( / \d+){4} per class\)"),
                    "the tagging task takes part too: its pseudo-tagged words per tag");
    }
}
