using MLNet.Transfer.Models.Tagging;
using MLNet.Transfer.Tests.Reliability;
using MLNet.Transfer.Training;
using MLNet.Transfer.Training.Tagging;
using MLNet.Transfer.Text.Tagging;
using static TorchSharp.torch;

namespace MLNet.Transfer.Tests.Tagging;

/// <summary>Tagger training on tiny random encoders: it learns, early stopping uses entity F1, the features route freezes the encoder.</summary>
[Category("Unit")]
public class TaggerTrainerTests
{
    private static FineTuneSettings Settings(int epochs = 4) => new()
    {
        LearningRate = 2e-3, Epochs = epochs, BatchSize = 8, MaxTokens = 32, WarmupFraction = 0.1, HeadDropout = 0, Seed = 5,
    };

    [TestCase(TaggingHead.Linear)]
    [TestCase(TaggingHead.Crf)]
    public void TrainingLearnsTheEntitiesAndReportsEntityF1OnValidation(TaggingHead head)
    {
        using var encoder = TinyPipelines.NewEncoder();
        manual_seed(1);
        using var model = new TaggingModel(encoder.Model, new TaggerSpec(TinyTagging.Tags, head), 0);
        var trainer = new TaggerTrainer(model, encoder.Tokenizer, Settings());
        var train = TinyTagging.Sentences(96, 1);
        var valid = TinyTagging.Sentences(32, 2);
        double before = trainer.Evaluate(valid)["F1Score"];
        var result = trainer.Train(train, valid);
        Assert.That(result.History, Has.Count.EqualTo(4), "one evaluation per epoch");
        Assert.That(result.BestValidation!["F1Score"], Is.EqualTo(result.History.Max(h => h.Validation!["F1Score"])), "best weights are the best evaluation's");
        double after = trainer.Evaluate(valid)["F1Score"];
        Assert.That(after, Is.EqualTo(result.BestValidation["F1Score"]).Within(1e-9), "the restored weights give the best score again");
        Assert.That(before, Is.LessThan(0.3), "an untrained tagger should be poor");
        Assert.That(after, Is.GreaterThan(0.9), $"{head}: F1 {after:F3} after training");
        Assert.That(result.TokensPerSecond, Is.GreaterThan(0));

        var predicted = new TagPredictor(model, encoder.Tokenizer, 32).Predict([["i", "met", "alice", "in", "new", "york", "today"]]);
        Assert.That(predicted[0].Tags.Select(t => TinyTagging.Tags[t]), Is.EqualTo(new[] { "O", "O", "B-person", "O", "B-location", "I-location", "O" }));
        Assert.That(predicted[0].Scores.All(s => s is > 0 and <= 1), Is.True);
    }

    [Test]
    public void PredictionOnWindowsMatchesPredictionOfTheWholeSentenceForWordsWithFullContext()
    {
        using var encoder = TinyPipelines.NewEncoder();
        manual_seed(2);
        using var model = new TaggingModel(encoder.Model, new TaggerSpec(TinyTagging.Tags, TaggingHead.Linear), 0);
        model.eval();
        var sentence = TinyTagging.Sentences(1, 9)[0].Tokens.Concat(TinyTagging.Sentences(1, 10)[0].Tokens).Concat(TinyTagging.Sentences(1, 11)[0].Tokens).ToArray();
        var whole = new TagPredictor(model, encoder.Tokenizer, 128).Predict([sentence])[0];
        var windowed = new TagPredictor(model, encoder.Tokenizer, 10).Predict([sentence])[0];
        Assert.That(windowed.Tags, Has.Length.EqualTo(sentence.Length), "every word is tagged, none cut off");
        Assert.That(whole.Scores.Distinct().Count(), Is.GreaterThan(1), "outputs vary, so the comparison means something");
        Assert.That(windowed.Scores, Is.Not.EqualTo(whole.Scores), "short windows see less context, so their scores differ");
    }

    [Test]
    public void TheFeaturesRouteLeavesTheEncoderUnchangedAndTrainsTheHead()
    {
        using var encoder = TinyPipelines.NewEncoder();
        manual_seed(3);
        using var model = new TaggingModel(encoder.Model, new TaggerSpec(TinyTagging.Tags, TaggingHead.Crf, FeaturesOnly: true), 0);
        var before = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
        new TaggerTrainer(model, encoder.Tokenizer, Settings(epochs: 1)).Train(TinyTagging.Sentences(32, 4));
        var after = model.state_dict();
        foreach (var (name, value) in before)
        {
            bool same = value.eq(after[name]).all().item<bool>();
            if (name.StartsWith("bert.")) Assert.That(same, Is.True, $"{name} changed");
            else if (name.StartsWith("classifier.weight") || name.StartsWith("scalar_mix.scalar") || name.StartsWith("crf.transitions")) Assert.That(same, Is.False, $"{name} did not train");
        }
    }

    [Test]
    public void ResumingACrfTaggerFromACheckpointEndsWithTheSameWeightsAsAnUninterruptedRun()
    {
        using var temp = TestModels.TempDir();
        var settings = Settings(epochs: 2) with { CheckpointDirectory = temp.Path, CheckpointEverySteps = 3 };
        var train = TinyTagging.Sentences(48, 6);
        Dictionary<string, float[]> Train(FineTuneSettings s, int initSeed, IProgress<TrainingProgress>? progress = null, CancellationToken cancel = default)
        {
            using var encoder = TinyPipelines.NewEncoder();
            manual_seed(initSeed);
            using var model = new TaggingModel(encoder.Model, new TaggerSpec(TinyTagging.Tags, TaggingHead.Crf), 0);
            var result = new TaggerTrainer(model, encoder.Tokenizer, s).Train(train, null, progress, cancel);
            Assert.That(result.Steps, Is.EqualTo(12));
            return model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.data<float>().ToArray());
        }

        var reference = Train(settings with { CheckpointDirectory = null }, 1);
        using var cancel = new CancellationTokenSource();
        var stopAtFive = new SyncProgress(p => { if (p.Step == 5) cancel.Cancel(); });
        Assert.Throws<OperationCanceledException>(() => Train(settings, 1, stopAtFive, cancel.Token));
        var resumed = Train(settings, 99); // another initialisation: everything must come from the checkpoint
        Assert.That(resumed.Keys, Is.EquivalentTo(reference.Keys));
        foreach (var (name, values) in reference) Assert.That(resumed[name], Is.EqualTo(values), name);

        Assert.That(() => Train(settings with { LearningRate = 1e-3 }, 1), Throws.InvalidOperationException.With.Message.Contain("belongs to a run with other settings"));
    }

    [Test]
    public void TheFeaturesRouteWithABiLstmLearnsTheEntitiesWithTheEncoderFrozen()
    {
        using var encoder = TinyPipelines.NewEncoder();
        manual_seed(4);
        using var model = new TaggingModel(encoder.Model, new TaggerSpec(TinyTagging.Tags, TaggingHead.Crf, FeaturesOnly: true, BiLstmHidden: 16), 0);
        var encoderBefore = model.Encoder.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
        var trainer = new TaggerTrainer(model, encoder.Tokenizer, Settings(epochs: 6) with { LearningRate = 1e-2 });
        var result = trainer.Train(TinyTagging.Sentences(96, 1), TinyTagging.Sentences(32, 2));
        Assert.That(result.BestValidation!["F1Score"], Is.GreaterThan(0.8), "BiLSTM-CRF on frozen features learns the entities");
        foreach (var (name, value) in encoderBefore) Assert.That(value.eq(model.Encoder.state_dict()[name]).all().item<bool>(), Is.True, $"{name} changed");
        Assert.That(model.named_parameters().Count(p => p.name.StartsWith("bilstm.")), Is.EqualTo(8), "two LSTMs, four tensors each");
    }

    [Test]
    public void TheBiLstmGivesASentenceTheSameStatesWhateverItIsBatchedWithAndReadsBothWays()
    {
        manual_seed(6);
        using var lstm = new WordBiLstm(4, 3);
        lstm.eval();
        using var _ = no_grad();
        var longer = randn(1, 5, 4);
        var shorter = randn(1, 3, 4);
        var padded = cat([shorter, zeros(1, 2, 4)], 1);
        var batched = lstm.call(cat([padded, longer], 0), tensor(new long[] { 3, 5 }));
        var alone = lstm.call(shorter, tensor(new long[] { 3 }));
        Assert.That(batched[0, ..3].allclose(alone[0], 1e-6, 1e-6), Is.True, "padding and batch neighbours do not change a sentence's states");
        var changedLast = shorter.clone();
        changedLast[0, 2] = randn(4);
        var after = lstm.call(changedLast, tensor(new long[] { 3 }));
        Assert.That(after[0, 0, ..3].allclose(alone[0, 0, ..3]), Is.True, "the forward half of the first word has not read the last word");
        Assert.That(after[0, 0, 3..].allclose(alone[0, 0, 3..]), Is.False, "the backward half of the first word has");
    }

    [Test]
    public void CasingFeaturesLetAnUncasedEncoderTellWordsApartByCapitalisationAlone()
    {
        double F1(bool casing)
        {
            using var encoder = TinyPipelines.NewEncoder();
            Assert.That(encoder.Tokenizer.Encode("Bob", 8).InputIds, Is.EqualTo(encoder.Tokenizer.Encode("bob", 8).InputIds), "the tiny encoder is uncased");
            manual_seed(7);
            using var model = new TaggingModel(encoder.Model, new TaggerSpec(TinyTagging.Tags, TaggingHead.Linear, CasingFeatures: casing), 0);
            var trainer = new TaggerTrainer(model, encoder.Tokenizer, Settings(epochs: 4));
            return trainer.Train(TinyTagging.CasedSentences(96, 1), TinyTagging.CasedSentences(32, 2)).BestValidation!["F1Score"];
        }
        double without = F1(false), with = F1(true);
        Assert.That(without, Is.LessThan(0.6), "case is invisible without the features");
        Assert.That(with, Is.GreaterThan(0.95), $"with casing features: F1 {with:F3} (without: {without:F3})");
    }

    [Test]
    public void TheDefaultHeadIsACrfForBioSpansAndLinearForPlainTags()
    {
        var options = new MLNet.Transfer.MLNetIntegration.TokenClassifierOptions();
        Assert.That(options.HeadFor(TinyTagging.Tags), Is.EqualTo(TaggingHead.Crf), "entities in BIO");
        Assert.That(options.HeadFor(["NOUN", "VERB", "ADJ", "PUNCT"]), Is.EqualTo(TaggingHead.Linear), "part-of-speech");
        options.Head = TaggingHead.Linear;
        Assert.That(options.HeadFor(TinyTagging.Tags), Is.EqualTo(TaggingHead.Linear), "an explicit head wins");
    }

    [TestCase("apple", WordShape.Lower)]
    [TestCase("Apple", WordShape.Title)]
    [TestCase("I", WordShape.Title)]
    [TestCase("NASA", WordShape.Upper)]
    [TestCase("iPhone", WordShape.Mixed)]
    [TestCase("McDonald", WordShape.Mixed)]
    [TestCase("2017", WordShape.NoLetters)]
    [TestCase(":)", WordShape.NoLetters)]
    [TestCase("@Bob", WordShape.Title)]
    [TestCase("Émile", WordShape.Title)]
    public void WordShapesClassifyCapitalisation(string word, int shape) => Assert.That(WordShape.Of(word), Is.EqualTo(shape));

    [Test]
    public void ATrainingTagOutsideTheTagSetNamesItsLine()
    {
        using var encoder = TinyPipelines.NewEncoder();
        using var model = new TaggingModel(encoder.Model, new TaggerSpec(["O", "B-x"], TaggingHead.Linear), 0);
        var trainer = new TaggerTrainer(model, encoder.Tokenizer, Settings(1));
        var e = Assert.Throws<InvalidDataException>(() => trainer.Train([new MLNet.Transfer.Text.Tagging.TaggedSentence(["a", "b"], ["O", "B-y"], 7)]));
        Assert.That(e!.Message, Does.Contain("Line 8").And.Contain("'B-y'"));
    }
}
