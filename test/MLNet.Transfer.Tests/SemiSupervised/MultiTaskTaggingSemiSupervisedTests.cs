using Microsoft.ML;
using MLNet.Transfer.MLNetIntegration;
using MLNet.Transfer.Models.Heads;
using MLNet.Transfer.Models.Tagging;
using MLNet.Transfer.Tests.MLNetIntegration;
using MLNet.Transfer.Tests.Reliability;
using MLNet.Transfer.Tests.Tagging;
using MLNet.Transfer.Tests.Training;
using MLNet.Transfer.Text.Tagging;
using MLNet.Transfer.Training;
using MLNet.Transfer.Training.SemiSupervised;
using MLNet.Transfer.Training.Tagging;
using static TorchSharp.torch;

namespace MLNet.Transfer.Tests.SemiSupervised;

/// <summary>
/// Tagging tasks of multi-task models in semi-supervised training, on tiny random encoders: the tagger's pseudo-tag rule
/// per task, reproducible training with both methods, and the ML.NET estimator's round reports.
/// </summary>
[NonParallelizable]
[Category("Unit")]
public class MultiTaskTaggingSemiSupervisedTests
{
    private static readonly FineTuneSettings Settings = new() { LearningRate = 2e-3, Epochs = 2, BatchSize = 8, MaxTokens = 32, HeadDropout = 0.1, Seed = 5 };

    private static TaskSpec Ner(TaggerSpec spec) => new("ner", TaskKind.Tagging, spec.Tags.Length) { Tagging = spec };

    [Test]
    public void ATaggingTasksPseudoTagsFollowTheLeastConfidentWordRuleTheThresholdAndTheCap()
    {
        using var encoder = TinyPipelines.NewEncoder();
        var spec = new TaggerSpec(["O", "B-name"], TaggingHead.Linear, CasingFeatures: true);
        using var model = new TransferModel(encoder.Model, [new TaskSpec("sentiment", TaskKind.Binary, 1), Ner(spec)], PoolingMode.Mean, 0);
        // The head reads only the casing vector: logit(O) − logit(B-name) is ln 19 for a lower-case word (P(O) = 0.95),
        // −ln 3 for a title-case one (P(B-name) = 0.75) and 0 for a word without letters (0.5 either way).
        var head = model.Tagger("ner").named_parameters().ToDictionary(p => p.name, p => p.parameter);
        using (no_grad())
        {
            head["classifier.weight"].zero_();
            head["classifier.weight"][0, head["classifier.weight"].shape[1] - TaggingModel.CasingWidth] = tensor(1f);
            head["casing.weight"].zero_();
            head["casing.weight"][WordShape.Lower, 0] = tensor(MathF.Log(19));
            head["casing.weight"][WordShape.Title, 0] = tensor(-MathF.Log(3));
        }
        string[][] words = [["the", "cat", "sat"], ["Paris", "is", "big"], ["the", "42", "cats"], ["Rome", "Oslo"], ["a", "dog"], ["one", "more", "cat", "here"]];
        var pool = new UnlabelledSentences(words, encoder.Tokenizer);
        TaggingTaskPseudoTags Tags(double threshold, int cap) =>
            new(model, pool, new SemiSupervisedSettings { ConfidenceThreshold = threshold, MaxPseudoLabelsPerClass = cap }, 32, 32);

        Assert.That(Tags(0.7, 10).Tasks, Is.EqualTo(new[] { 1 }), "the tagging task only");
        var chosen = Tags(0.7, 4).Select(1, null);
        Assert.That(chosen.Select(c => c.Index), Is.EqualTo(new[] { 0, 1, 4, 5 }),
            "sentence 2's '42' (0.5) keeps it out though its other words reach 0.95; the cap of 4 keeps the three at 0.95 and, of the tie at 0.75, the earlier sentence 1");
        Assert.That(chosen.Select(c => c.Confidence), Is.EqualTo(new[] { 0.95f, 0.75f, 0.95f, 0.95f }).Within(1e-5f), "the least confident word's probability");
        Assert.That(chosen.Select(c => c.Tags), Is.EqualTo(new[] { new[] { 0, 0, 0 }, new[] { 1, 0, 0 }, new[] { 0, 0 }, new[] { 0, 0, 0, 0 } }));
        Assert.That(Tags(0.9, 10).Select(1, null).Select(c => c.Index), Is.EqualTo(new[] { 0, 4, 5 }), "at 0.9 a title-case word (0.75) keeps its sentence out");
        Assert.That(Tags(0.96, 10).Select(1, null), Is.Empty);

        var tags = Tags(0.7, 4);
        Assert.That(tags.PerTag(1, chosen), Is.EqualTo(new[] { 11, 1 }), "pseudo-tagged words per tag, in the task's tag order");
        var examples = tags.Examples(1, chosen);
        Assert.That(examples.Select(e => e.Targets[1]), Is.EqualTo(new[] { new[] { 0f, 0, 0 }, new[] { 1f, 0, 0 }, new[] { 0f, 0 }, new[] { 0f, 0, 0, 0 } }),
            "one window per short sentence, labelled for the tagging task");
        Assert.That(examples.Select(e => e.Targets[0]), Is.All.Null, "and for no other task");
        Assert.That(examples.Select(e => e.Window!.OwnedWords), Is.EqualTo(new[] { 3, 3, 2, 4 }));

        var random = Tags(0.7, 2).Select(1, new Random(3));
        Assert.That(random, Has.Count.EqualTo(2));
        Assert.That(random.Select(c => c.Index), Is.SubsetOf(new[] { 0, 1, 3, 4, 5 }), "random selection draws among the confident sentences only");
        Assert.That(random.Select(c => c.Index), Is.Ordered, "in pool order");
        Assert.That(Tags(0.7, 2).Select(1, new Random(3)).Select(c => c.Index), Is.EqualTo(random.Select(c => c.Index)), "the same draw for the same generator");
        Assert.That(Tags(0.7, 10).Select(1, new Random(3)).Select(c => c.Index), Is.EqualTo(new[] { 0, 1, 3, 4, 5 }), "below the cap every confident sentence");
    }

    [TestCase(SemiSupervisedMethod.SelfTraining)]
    [TestCase(SemiSupervisedMethod.Consistency)]
    public void ATaggingOnlyMultiTaskModelLearnsFromUnlabelledSentencesBitIdenticallyForASeed(SemiSupervisedMethod method)
    {
        var train = TinyTagging.Sentences(64, 1);
        var spec = new TaggerSpec(TinyTagging.Tags, TaggingHead.Linear);
        var reports = new List<SemiSupervisedRound>();
        float[] Run(bool unlabelled)
        {
            using var encoder = TinyPipelines.NewEncoder();
            manual_seed(1);
            using var model = new TransferModel(encoder.Model, [Ner(spec)], PoolingMode.Mean, Settings.HeadDropout);
            var examples = TrainingExample.FromTaggedWindows(TaggedWindow.From(encoder.Tokenizer, train, spec.Tags, Settings.MaxTokens), 0, 1);
            var pool = TinyTagging.Words(80, 3);
            var semi = new SemiSupervisedSettings { Method = method, ConfidenceThreshold = 0.3, MaxPseudoLabelsPerClass = 6 };
            if (!unlabelled) new FineTuner(model, Settings, encoder.Tokenizer.PadId).Train(examples);
            else new SemiSupervisedFineTuner(model, Settings, semi, encoder.Tokenizer.PadId) { Sentences = new UnlabelledSentences(pool, encoder.Tokenizer) }
                .Train(examples, null, [.. pool.Select(s => encoder.Tokenizer.Encode(string.Join(' ', s), Settings.MaxTokens))], rounds: new SyncRounds(reports.Add));
            return TinyTask.Weights(model);
        }
        var first = Run(true);
        Assert.That(first.Distinct().Count(), Is.GreaterThan(1));
        Assert.That(Run(true), Is.EqualTo(first), "same seed, same weights");
        Assert.That(Run(false), Is.Not.EqualTo(first), "the unlabelled sentences change training");
        if (method == SemiSupervisedMethod.Consistency)
        {
            Assert.That(reports, Is.Empty, "consistency training has no rounds");
            return;
        }
        foreach (var r in reports) TestContext.Out.WriteLine($"{r} words per tag: {string.Join(" / ", r.PerClass)}");
        Assert.That(reports.Select(r => r.Round), Is.EqualTo(new[] { 0, 1, 0, 1 }), "teacher and one student per run");
        Assert.That(reports[1].PseudoLabels, Is.EqualTo(6), "the pool has more confident sentences than the cap");
        Assert.That(reports[1].PerClass, Has.Count.EqualTo(TinyTagging.Tags.Length), "words per tag of the only pseudo-labelled task");
        Assert.That(reports[1].PerClass.Sum(), Is.GreaterThanOrEqualTo(6 * 4), "each sentence has at least 4 words");
        Assert.That(reports[1].PerTask, Is.Null, "one pseudo-labelled task");
        Assert.That(reports[1].Labels, Is.Null, "no binary / multiclass task");
    }

    [Test]
    public void TheMultiTaskConsistencyLossAddsEachTaggingTasksPerWordTermToTheSentenceTerm()
    {
        using var encoder = TinyPipelines.NewEncoder();
        var spec = new TaggerSpec(TinyTagging.Tags, TaggingHead.Linear);
        using var model = new TransferModel(encoder.Model, [new TaskSpec("sentiment", TaskKind.Binary, 1), Ner(spec)], PoolingMode.Mean, 0);
        model.eval(); // no dropout: the three losses are computed on the same outputs
        var words = TinyTagging.Words(12, 3);
        var texts = words.Select(w => encoder.Tokenizer.Encode(string.Join(' ', w), 32)).ToArray();
        var semi = new SemiSupervisedSettings { Method = SemiSupervisedMethod.Consistency, ConfidenceThreshold = 0.2, ConsistencyWeight = 0.5 };
        var augmented = new TfIdfAugmenter(texts).AugmentAll(texts, semi.AugmentationRate, semi.DeletionShare, 5);
        var tagging = TaggerConsistencyObjective.For(encoder.Tokenizer, words, 32, semi, 5);
        var sentencesOnly = new ConsistencyObjective(texts, augmented, semi, 5);
        var both = new ConsistencyObjective(texts, augmented, semi, 5) { Tagging = tagging };
        using var _ = no_grad();
        float sentence = sentencesOnly.Loss(model, encoder.Tokenizer.PadId, 4, 2)!.item<float>();
        float word = tagging.Loss(model.Tagger("ner"), encoder.Tokenizer.PadId, 4, 2).item<float>();
        Assert.That(sentence, Is.GreaterThan(0));
        Assert.That(word, Is.GreaterThan(0), "the tagging task's term on this step's draw of windows");
        Assert.That(both.Loss(model, encoder.Tokenizer.PadId, 4, 2)!.item<float>(), Is.EqualTo(sentence + word).Within(1e-5));
        Assert.That(both.ToString(), Does.StartWith(sentencesOnly.ToString()).And.Contain("tagger consistency"), "the checkpoint fingerprint names the tagging term");
        Assert.That(both.Tagging!.AnnealingThreshold(1, 10, TinyTagging.Tags.Length), Is.EqualTo(1), "the tagging word loss is not annealed unless Annealing is set");
    }

    [Test]
    public void SentencesMustMatchTheUnlabelledTexts()
    {
        using var encoder = TinyPipelines.NewEncoder();
        using var model = new TransferModel(encoder.Model, [Ner(new TaggerSpec(TinyTagging.Tags, TaggingHead.Linear))], PoolingMode.Mean, 0);
        var examples = TrainingExample.FromTaggedWindows(TaggedWindow.From(encoder.Tokenizer, TinyTagging.Sentences(4, 1), TinyTagging.Tags, 32), 0, 1);
        var texts = new[] { encoder.Tokenizer.Encode("paris is big", 32) };
        var trainer = new SemiSupervisedFineTuner(model, Settings, new SemiSupervisedSettings(), encoder.Tokenizer.PadId);
        Assert.That(() => trainer.Train(examples, null, texts),
            Throws.ArgumentException.With.Message.Contain("or a tagging task and the unlabelled texts as words (Sentences)"));
        Assert.That(() => new SemiSupervisedFineTuner(model, Settings, new SemiSupervisedSettings(), encoder.Tokenizer.PadId)
            {
                Sentences = new UnlabelledSentences([["paris"], ["rome"]], encoder.Tokenizer),
            }.Train(examples, null, texts),
            Throws.ArgumentException.With.Message.Contain("Sentences has 2 sentences for 1 unlabelled texts"));
    }

    [Test]
    public void TheEstimatorSplitsTheUnlabelledTextsIntoWordsForItsTaggingTaskAndReportsItsCount()
    {
        var ml = new MLContext(seed: 1);
        var rounds = new List<SemiSupervisedRound>();
        var unlabelled = ml.Data.LoadFromEnumerable(TinyTagging.Sentences(40, 3).Select(s => new UnlabelledRow { Text = string.Join("  ", s.Tokens) }).ToList());
        var options = new MultiTaskFineTuneOptions
        {
            Encoder = TinyPipelines.NewEncoder(), Epochs = 2, BatchSize = 8, MaxTokens = 32, LearningRate = 2e-3, Seed = 5,
            UnlabeledData = unlabelled, SemiSupervisedProgress = new SyncRounds(rounds.Add),
            SemiSupervised = new SemiSupervisedSettings { ConfidenceThreshold = 0.3, MaxPseudoLabelsPerClass = 5, BalancePseudoLabels = false },
            Tasks =
            [
                new TextTaskOptions { Name = "sentiment", Kind = TaskKind.Binary, TrainingData = TinyPipelines.TrainingRows(ml) },
                new TextTaskOptions { Name = "ner", Kind = TaskKind.Tagging, LabelColumnName = "Tags", TrainingData = ml.Data.LoadFromTaggedSentences(TinyTagging.Sentences(48, 1)) },
            ],
        };
        var model = ml.Transforms.Text.FineTuneMultiTask(options).Fit(TinyPipelines.TrainingRows(ml));
        foreach (var r in rounds) TestContext.Out.WriteLine($"{r} {string.Join("; ", r.PerTask?.Select(p => $"{p.Key}: {string.Join("/", p.Value)}") ?? [])}");
        Assert.That(rounds.Select(r => r.Round), Is.EqualTo(new[] { 0, 1 }));
        var student = rounds[1];
        Assert.That(student.PerTask!.Keys, Is.EquivalentTo(new[] { "sentiment", "ner" }));
        Assert.That(student.PerTask["ner"], Has.Count.EqualTo(TinyTagging.Tags.Length), "words per tag");
        int nerSentences = student.PseudoLabels - student.PerTask["sentiment"].Sum();
        Assert.That(nerSentences, Is.EqualTo(5), "the cap of pseudo-tagged sentences, counted in the total");
        Assert.That(student.PerTask["ner"].Sum(), Is.GreaterThanOrEqualTo(5 * 4), "each sentence has at least 4 words");
        Assert.That(student.PerClass, Is.EqualTo(student.PerTask["sentiment"]), "PerClass stays the first classification task's");
        Assert.That(model.Tasks.Select(t => t.Name), Is.EqualTo(new[] { "sentiment", "ner" }));
    }

    [Test]
    public void AMultiTaskModelWhoseOnlyTaskIsTaggingMayLearnFromUnlabelledText()
    {
        var ml = new MLContext(seed: 1);
        var rounds = new List<SemiSupervisedRound>();
        var options = new MultiTaskFineTuneOptions
        {
            Encoder = TinyPipelines.NewEncoder(), Epochs = 2, BatchSize = 8, MaxTokens = 32, LearningRate = 2e-3, Seed = 5,
            UnlabeledData = ml.Data.LoadFromEnumerable(TinyTagging.Sentences(80, 3).Select(s => new UnlabelledRow { Text = string.Join(' ', s.Tokens) }).ToList()),
            SemiSupervisedProgress = new SyncRounds(rounds.Add),
            SemiSupervised = new SemiSupervisedSettings { ConfidenceThreshold = 0.3, MaxPseudoLabelsPerClass = 4 },
            Tasks = [new TextTaskOptions { Name = "ner", Kind = TaskKind.Tagging, LabelColumnName = "Tags" }],
        };
        var estimator = ml.Transforms.Text.FineTuneMultiTask(options);
        var data = ml.Data.LoadFromTaggedSentences(TinyTagging.Sentences(64, 1));
        Assert.That(() => estimator.GetOutputSchema(SchemaShapes.FromSchema(data.Schema)), Throws.Nothing, "no binary / multiclass task is needed any more");
        estimator.Fit(data);
        Assert.That(rounds.Select(r => r.PseudoLabels), Is.EqualTo(new[] { 0, 4 }), "teacher, then a student with the cap of pseudo-tagged sentences");
        Assert.That(rounds[1].PerClass, Has.Count.EqualTo(TinyTagging.Tags.Length));
    }
}
