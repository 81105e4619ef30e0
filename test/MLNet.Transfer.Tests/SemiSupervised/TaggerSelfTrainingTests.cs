using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transfer.MLNetIntegration;
using MLNet.Transfer.Models.Tagging;
using MLNet.Transfer.Tests.Reliability;
using MLNet.Transfer.Tests.Tagging;
using MLNet.Transfer.Tests.Training;
using MLNet.Transfer.Text.Tagging;
using MLNet.Transfer.Training;
using MLNet.Transfer.Training.SemiSupervised;
using MLNet.Transfer.Training.Tagging;
using static TorchSharp.torch;

namespace MLNet.Transfer.Tests.SemiSupervised;

/// <summary>Tagger self-training: the choice of pseudo-labelled sentences, the rounds on a tiny random encoder, the ML.NET options and their errors.</summary>
[Category("Unit")]
public class TaggerSelfTrainingTests
{
    private static readonly FineTuneSettings Settings = new() { LearningRate = 2e-3, Epochs = 2, BatchSize = 8, MaxTokens = 32, HeadDropout = 0.1, Seed = 5 };

    private static IReadOnlyList<string>[] Pool(int count, int seed) => TinyTagging.Words(count, seed);

    [Test]
    public void ASentenceIsChosenOnlyWhenItsLeastConfidentWordReachesTheThresholdAndTheCapKeepsTheMostConfident()
    {
        TagPrediction P(params float[] scores) => new([.. scores.Select((_, i) => i % 3)], scores);
        var predictions = new[] { P(0.95f, 0.99f), P(0.99f, 0.89f), P(), P(0.97f), P(0.92f, 0.92f, 0.93f), P(0.97f, 0.98f) };
        var chosen = TagPseudoLabels.Select(predictions, 0.9, maxSentences: 10);
        Assert.That(chosen.Select(c => c.Index), Is.EqualTo(new[] { 0, 3, 4, 5 }), "0.89 < 0.9 leaves sentence 1 out; the empty sentence 2 is never chosen");
        Assert.That(chosen.Select(c => c.Confidence), Is.EqualTo(new[] { 0.95f, 0.97f, 0.92f, 0.97f }), "the least confident word's probability");
        Assert.That(chosen[1].Tags, Is.EqualTo(new[] { 0 }));
        Assert.That(TagPseudoLabels.Select(predictions, 0.9, maxSentences: 2).Select(c => c.Index), Is.EqualTo(new[] { 3, 5 }),
            "the cap keeps the most confident (a tie goes to the earlier sentence), in pool order");
        Assert.That(TagPseudoLabels.Select(predictions, 0.999, 10), Is.Empty);
        Assert.That(() => TagPseudoLabels.Select(predictions, 0.9, 0), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void SelfTrainingCapsThePseudoLabelledSentencesAndIsBitIdenticalForASeed()
    {
        var reports = new List<SemiSupervisedRound>();
        float[] Run()
        {
            using var encoder = TinyPipelines.NewEncoder();
            manual_seed(1);
            using var model = new TaggingModel(encoder.Model, new TaggerSpec(TinyTagging.Tags, TaggingHead.Linear), Settings.HeadDropout);
            var semi = new SemiSupervisedSettings { ConfidenceThreshold = 0.3, MaxPseudoLabelsPerClass = 6, Rounds = 2 };
            new TaggerSelfTraining(model, encoder.Tokenizer, Settings, semi)
                .Train(TinyTagging.Sentences(64, 1), null, Pool(80, 3), rounds: new SyncRounds(reports.Add));
            return TinyTask.Weights(model);
        }
        var first = Run();
        foreach (var r in reports) TestContext.Out.WriteLine($"{r} words per tag: {string.Join(" / ", r.PerClass)}");
        Assert.That(reports.Select(r => r.Round), Is.EqualTo(new[] { 0, 1, 2 }), "teacher and two students; without validation every round is kept");
        Assert.That(reports.Skip(1).Select(r => r.PseudoLabels), Is.All.EqualTo(6), "the pool has more confident sentences than the cap");
        Assert.That(reports[1].PerClass.Sum(), Is.GreaterThanOrEqualTo(6 * 4), "each sentence has at least 4 words");
        Assert.That(reports[1].PerClass, Has.Count.EqualTo(TinyTagging.Tags.Length));
        Assert.That(first.Distinct().Count(), Is.GreaterThan(1));
        Assert.That(Run(), Is.EqualTo(first), "same seed, same weights");
    }

    [Test]
    public void RandomSelectionDrawsOtherConfidentSentencesReproducibly()
    {
        (float[] Weights, IReadOnlyList<int> PerTag) Run(PseudoLabelSelection selection)
        {
            var reports = new List<SemiSupervisedRound>();
            using var encoder = TinyPipelines.NewEncoder();
            manual_seed(1);
            using var model = new TaggingModel(encoder.Model, new TaggerSpec(TinyTagging.Tags, TaggingHead.Linear), Settings.HeadDropout);
            var semi = new SemiSupervisedSettings { ConfidenceThreshold = 0.3, MaxPseudoLabelsPerClass = 6, Selection = selection };
            new TaggerSelfTraining(model, encoder.Tokenizer, Settings, semi)
                .Train(TinyTagging.Sentences(64, 1), null, Pool(80, 3), rounds: new SyncRounds(reports.Add));
            Assert.That(reports[1].PseudoLabels, Is.EqualTo(6), $"{selection}: the cap");
            return (TinyTask.Weights(model), reports[1].PerClass);
        }
        var random = Run(PseudoLabelSelection.Random);
        var mostConfident = Run(PseudoLabelSelection.MostConfident);
        Assert.That(random.PerTag, Is.Not.EqualTo(mostConfident.PerTag), "other sentences, so other words per tag");
        Assert.That(random.Weights, Is.Not.EqualTo(mostConfident.Weights));
        Assert.That(Run(PseudoLabelSelection.Random).Weights, Is.EqualTo(random.Weights), "the draw is seeded");
    }

    [Test]
    public void WithNoSentenceConfidentEnoughTheTaggerIsTheSupervisedOne()
    {
        var valid = TinyTagging.Sentences(16, 2);
        float[] Run(bool unlabelled, List<SemiSupervisedRound> reports)
        {
            using var encoder = TinyPipelines.NewEncoder();
            manual_seed(1);
            using var model = new TaggingModel(encoder.Model, new TaggerSpec(TinyTagging.Tags, TaggingHead.Crf), Settings.HeadDropout);
            if (unlabelled)
                new TaggerSelfTraining(model, encoder.Tokenizer, Settings, new SemiSupervisedSettings { ConfidenceThreshold = 0.999999 })
                    .Train(TinyTagging.Sentences(32, 1), valid, Pool(40, 3), rounds: new SyncRounds(reports.Add));
            else new TaggerTrainer(model, encoder.Tokenizer, Settings).Train(TinyTagging.Sentences(32, 1), valid);
            Assert.That(model.training, Is.False, "evaluation mode after training, with or without unlabelled data");
            return TinyTask.Weights(model);
        }
        var reports = new List<SemiSupervisedRound>();
        var semi = Run(true, reports);
        Assert.That(reports, Has.Count.EqualTo(2));
        Assert.That(reports[1].PseudoLabels, Is.Zero);
        Assert.That(reports[1].Kept, Is.False);
        Assert.That(reports[0].ValidationScore, Is.InRange(0.0, 1.0));
        Assert.That(semi, Is.EqualTo(Run(false, [])), "no pseudo-labels: the teacher, trained exactly as without unlabelled data");
    }

    [Test]
    public void TheMlNetTaggerSelfTrainsFromAWordsColumnOrPlainTextReproduciblyAndDiffersFromSupervised()
    {
        var mlContext = new MLContext(seed: 1);
        var train = mlContext.Data.LoadFromTaggedSentences(TinyTagging.Sentences(48, 1));
        var words = mlContext.Data.LoadFromEnumerable(TinyTagging.Sentences(60, 3).Select(s => new TokenClassifierTests.WordsRow { Tokens = s.Tokens }).ToList());
        var lines = mlContext.Data.LoadFromEnumerable(TinyTagging.Sentences(60, 3).Select(s => new TokensLine { Tokens = string.Join(' ', s.Tokens) }).ToList());
        var probe = mlContext.Data.LoadFromTaggedSentences(TinyTagging.Sentences(16, 2));
        List<string> Scores(IDataView? unlabelled)
        {
            var options = new TokenClassifierOptions
            {
                Encoder = TinyPipelines.NewEncoder(), Head = TaggingHead.Linear, Epochs = 2, BatchSize = 8, MaxTokens = 32, LearningRate = 2e-3, Seed = 5,
                UnlabeledData = unlabelled, SemiSupervised = new SemiSupervisedSettings { ConfidenceThreshold = 0.3, MaxPseudoLabelsPerClass = 20 },
            };
            var model = mlContext.MulticlassClassification.Trainers.FineTuneTokenClassifier(options).Fit(train);
            return [.. model.Transform(probe).GetColumn<VBuffer<float>>("Score").Select(v => string.Join(",", v.DenseValues()))];
        }
        var fromWords = Scores(words);
        Assert.That(fromWords.Distinct().Count(), Is.GreaterThan(1));
        Assert.That(Scores(words), Is.EqualTo(fromWords), "same seed, same tagger");
        Assert.That(Scores(lines), Is.EqualTo(fromWords), "a text column is split at white space into the same words");
        Assert.That(Scores(null), Is.Not.EqualTo(fromWords), "the pseudo-labelled sentences change training");
    }

    [Test]
    public void UnusableUnlabelledDataOrSettingsAreClearErrors()
    {
        var mlContext = new MLContext(seed: 1);
        var train = mlContext.Data.LoadFromTaggedSentences(TinyTagging.Sentences(8, 1));
        TokenClassifierOptions With(IDataView unlabelled, SemiSupervisedSettings? semi = null) => new()
        {
            Model = "/nonexistent", UnlabeledData = unlabelled, SemiSupervised = semi ?? new SemiSupervisedSettings(),
        };
        var noWords = mlContext.Data.LoadFromEnumerable(new[] { new TextOnly { Body = "alice went to paris" } });
        var estimator = mlContext.MulticlassClassification.Trainers.FineTuneTokenClassifier(With(noWords));
        Assert.That(() => estimator.GetOutputSchema(SchemaShapes.FromSchema(train.Schema)),
            Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contain("Unlabelled words column 'Tokens'"));
        Assert.That(() => estimator.Fit(train), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contain("Unlabelled words column 'Tokens' was not found"));

        var blank = mlContext.Data.LoadFromEnumerable(new[] { new TokensLine { Tokens = "   " } });
        Assert.That(() => mlContext.MulticlassClassification.Trainers.FineTuneTokenClassifier(With(blank)).Fit(train),
            Throws.InstanceOf<InvalidDataException>().With.Message.Contain("unlabelled data is empty"));

        var lines = mlContext.Data.LoadFromEnumerable(new[] { new TokensLine { Tokens = "alice went to paris" } });
        Assert.That(() => mlContext.MulticlassClassification.Trainers.FineTuneTokenClassifier(With(lines, new() { SoftLabels = true })).Fit(train),
            Throws.ArgumentException.With.Message.Contain("SoftLabels"));

        using var encoder = TinyPipelines.NewEncoder();
        using var model = new TaggingModel(encoder.Model, new TaggerSpec(TinyTagging.Tags, TaggingHead.Linear), 0);
        Assert.That(() => new TaggerSelfTraining(model, encoder.Tokenizer, Settings, new()).Train(TinyTagging.Sentences(8, 1), null, [[]]),
            Throws.ArgumentException.With.Message.Contain("unlabelled set is empty"));
        Assert.That(() => new TaggerSelfTraining(model, encoder.Tokenizer, Settings, new() { Method = SemiSupervisedMethod.Consistency }),
            Throws.ArgumentException.With.Message.Contain("TaggerSemiSupervisedTrainer"), "consistency training has its own entry point");
    }

    private sealed class TokensLine
    {
        public string Tokens { get; set; } = "";
    }

    private sealed class TextOnly
    {
        public string Body { get; set; } = "";
    }
}
