using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transfer.MLNetIntegration;
using MLNet.Transfer.Models.Tagging;
using MLNet.Transfer.Tests.Reliability;
using MLNet.Transfer.Text.Tagging;
using MLNet.Transfer.Training.Tagging;

namespace MLNet.Transfer.Tests.Tagging;

/// <summary>The ML.NET surface of tagging on tiny random encoders: CoNLL loading, the trainer, the evaluator, Save/Load, threads, bad input.</summary>
[Category("Unit")]
public class TokenClassifierTests
{
    private MLContext _ml = null!;
    private TokenClassificationTransformer _model = null!;
    private IDataView _valid = null!;
    private TempDirectory _temp = null!;

    public sealed class WordsRow
    {
        public string[] Tokens { get; set; } = [];
    }

    public sealed class TagsPrediction
    {
        public uint[] PredictedLabel { get; set; } = [];
        public float[] Score { get; set; } = [];
    }

    private static TokenClassifierOptions Options(TaggingHead head, int epochs) => new()
    {
        Encoder = TinyPipelines.NewEncoder(), Head = head, Epochs = epochs, BatchSize = 8, MaxTokens = 32, LearningRate = 2e-3, HeadDropout = 0, Seed = 5,
    };

    [OneTimeSetUp]
    public void TrainOnce()
    {
        _temp = TestModels.TempDir();
        _ml = new MLContext(seed: 1);
        string trainPath = Path.Combine(_temp.Path, "train.conll"), validPath = Path.Combine(_temp.Path, "valid.conll");
        using (var w = new StreamWriter(trainPath)) ConllReader.Write(w, TinyTagging.Sentences(96, 1));
        using (var w = new StreamWriter(validPath)) ConllReader.Write(w, TinyTagging.Sentences(32, 2));
        var train = _ml.Data.LoadFromConllFile(trainPath);
        _valid = _ml.Data.LoadFromConllFile(validPath);
        var options = Options(TaggingHead.Linear, 4);
        options.ValidationSet = _valid;
        _model = _ml.MulticlassClassification.Trainers.FineTuneTokenClassifier(options).Fit(train);
    }

    [OneTimeTearDown]
    public void CleanUp()
    {
        _temp?.Dispose();
    }

    [Test]
    public void LoadFromConllFileGivesTokensAndTagsAsVectorsOfText()
    {
        Assert.That(_valid.Schema["Tokens"].Type, Is.EqualTo(new VectorDataViewType(TextDataViewType.Instance)));
        Assert.That(_valid.Schema["Tags"].Type, Is.EqualTo(new VectorDataViewType(TextDataViewType.Instance)));
        var rows = _ml.Data.CreateEnumerable<TaggedSentenceRow>(_valid, reuseRowObject: false).ToList();
        var expected = TinyTagging.Sentences(32, 2);
        Assert.That(rows, Has.Count.EqualTo(32));
        Assert.That(rows[3].Tokens, Is.EqualTo(expected[3].Tokens));
        Assert.That(rows[3].Tags, Is.EqualTo(expected[3].Tags));
    }

    [Test]
    public void AMalformedConllFileFailsWithItsPathAndLine()
    {
        string path = Path.Combine(_temp.Path, "bad.conll");
        File.WriteAllText(path, "a\tO\nb O\n");
        Assert.That(() => _ml.Data.LoadFromConllFile(path), Throws.TypeOf<InvalidDataException>().With.Message.StartsWith($"{path}:2:"));
        File.WriteAllText(path, "");
        Assert.That(() => _ml.Data.LoadFromConllFile(path), Throws.TypeOf<InvalidDataException>().With.Message.StartsWith($"{path}:"));
    }

    [Test]
    public void PredictedTagsAreKeysThatMapBackToTagNamesAndTheEvaluatorScoresThem()
    {
        var scored = _model.Transform(_valid);
        var column = scored.Schema["PredictedLabel"];
        Assert.That(column.Type, Is.EqualTo(new VectorDataViewType(new KeyDataViewType(typeof(uint), TinyTagging.Tags.Length))));
        var mapped = _ml.Transforms.Conversion.MapKeyToValue("PredictedTags", "PredictedLabel").Fit(scored).Transform(scored);
        var gold = TinyTagging.Sentences(32, 2);
        var predicted = mapped.GetColumn<VBuffer<ReadOnlyMemory<char>>>("PredictedTags").Select(v => v.DenseValues().Select(x => x.ToString()).ToArray()).ToList();
        Assert.That(predicted.Select(p => p.Length), Is.EqualTo(gold.Select(g => g.Tokens.Length)), "one tag per word");
        Assert.That(predicted.SelectMany(p => p).Distinct(), Is.SubsetOf(TinyTagging.Tags));

        var metrics = _ml.MulticlassClassification.EvaluateTokenClassification(scored);
        var direct = TokenClassificationMetrics.Compute(gold.Select(g => (IReadOnlyList<string>)g.Tags).ToArray(), predicted.Select(p => (IReadOnlyList<string>)p).ToArray());
        Assert.That(metrics.F1Score, Is.EqualTo(direct.F1Score));
        Assert.That(metrics.F1Score, Is.GreaterThan(0.9), "the tiny tagger learns the synthetic entities");
        Assert.That(metrics.PerType.Keys, Is.EquivalentTo(new[] { "location", "person" }));
        Assert.That(metrics.TokenAccuracy, Is.GreaterThan(0.9));
    }

    [TestCase(TaggingHead.Linear, false)]
    [TestCase(TaggingHead.Crf, false)]
    [TestCase(TaggingHead.Crf, true)] // the features route: frozen encoder, scalar mix, BiLSTM, CRF
    public void SaveAndLoadInAFreshContextGivesIdenticalOutputs(TaggingHead head, bool features)
    {
        var options = Options(head, 1);
        options.FreezeEncoder = features;
        options.BiLstmHiddenSize = 8;
        options.CasingFeatures = features; // the saved spec carries casing too
        var model = head == TaggingHead.Linear ? _model
            : _ml.MulticlassClassification.Trainers.FineTuneTokenClassifier(options).Fit(_ml.Data.LoadFromTaggedSentences(TinyTagging.Sentences(32, 3)));
        string zip = Path.Combine(_temp.Path, $"tagger-{head}-{features}.zip");
        _ml.Model.Save(model, _valid.Schema, zip);
        var fresh = new MLContext(seed: 9).RegisterTransferComponents();
        var loaded = fresh.Model.Load(zip, out _);
        var before = model.Transform(_valid);
        var after = loaded.Transform(_valid);
        var scoresBefore = before.GetColumn<float[]>("Score").SelectMany(s => s).ToArray();
        var scoresAfter = after.GetColumn<float[]>("Score").SelectMany(s => s).ToArray();
        Assert.That(scoresBefore.Distinct().Count(), Is.GreaterThan(10), "scores vary, so equality means something");
        Assert.That(scoresAfter, Is.EqualTo(scoresBefore), "bit-identical scores");
        Assert.That(after.GetColumn<uint[]>("PredictedLabel").SelectMany(s => s), Is.EqualTo(before.GetColumn<uint[]>("PredictedLabel").SelectMany(s => s)));
        Assert.That(fresh.MulticlassClassification.EvaluateTokenClassification(after).F1Score,
                    Is.EqualTo(_ml.MulticlassClassification.EvaluateTokenClassification(before).F1Score));
    }

    [Test]
    public void APredictionEngineTagsOneSentenceAndConcurrentPredictionsMatchSequentialOnes()
    {
        var engine = _ml.Model.CreatePredictionEngine<WordsRow, TagsPrediction>(_model);
        var one = engine.Predict(new WordsRow { Tokens = ["we", "met", "bob", "in", "paris"] });
        Assert.That(_model.Tags, Is.EqualTo(new[] { "O", "B-location", "B-person", "I-location", "I-person" }), "O first, then ordinal order");
        Assert.That(one.PredictedLabel.Select(k => _model.Tags[(int)k - 1]), Is.EqualTo(new[] { "O", "O", "B-person", "O", "B-location" }));
        Assert.That(one.Score, Has.Length.EqualTo(5));
        Assert.That(engine.Predict(new WordsRow { Tokens = [] }).PredictedLabel, Is.Empty, "an empty sentence gives no tags");

        var sentences = TinyTagging.Sentences(40, 7).Select(s => s.Tokens).ToArray();
        var expected = sentences.Select(s => string.Join(",", engine.Predict(new WordsRow { Tokens = s }).Score)).ToArray();
        var errors = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        var results = new string[4][];
        var threads = Enumerable.Range(0, 4).Select(t => new Thread(() =>
        {
            try
            {
                var own = _ml.Model.CreatePredictionEngine<WordsRow, TagsPrediction>(_model);
                results[t] = sentences.Select(s => string.Join(",", own.Predict(new WordsRow { Tokens = s }).Score)).ToArray();
            }
            catch (Exception e) { errors.Enqueue(e); }
        })).ToArray();
        foreach (var t in threads) t.Start();
        foreach (var t in threads) t.Join();
        Assert.That(errors, Is.Empty);
        foreach (var r in results) Assert.That(r, Is.EqualTo(expected));
    }

    [Test]
    public void BadInputColumnsAreRejectedWithTheirNames()
    {
        var estimator = _ml.MulticlassClassification.Trainers.FineTuneTokenClassifier(Options(TaggingHead.Linear, 1));
        var scalar = _ml.Data.LoadFromEnumerable([new { Tokens = "not a vector", Tags = "O" }]);
        Assert.That(() => estimator.Fit(scalar), Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contains("'Tokens'"));
        var noTags = _ml.Data.LoadFromEnumerable([new WordsRow { Tokens = ["a"] }]);
        Assert.That(() => estimator.Fit(noTags), Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contains("'Tags'"));
        var mismatched = _ml.Data.LoadFromEnumerable([new TaggedSentenceRow { Tokens = ["a", "b"], Tags = ["O"] }]);
        Assert.That(() => estimator.Fit(mismatched), Throws.TypeOf<InvalidDataException>().With.Message.Contains("row 1"));
        var oneTag = _ml.Data.LoadFromEnumerable([new TaggedSentenceRow { Tokens = ["a", "b"], Tags = ["O", "O"] }]);
        Assert.That(() => estimator.Fit(oneTag), Throws.TypeOf<InvalidDataException>().With.Message.Contains("only one tag"));
        Assert.That(() => _model.Transform(noTags.Schema.Count > 0 ? _ml.Data.LoadFromEnumerable([new { Words = new[] { "a" } }]) : noTags),
                    Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contains("Tokens"));
    }
}
