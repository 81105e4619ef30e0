using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transfer.MLNetIntegration;
using MLNet.Transfer.Models.Heads;
using MLNet.Transfer.Models.Tagging;
using MLNet.Transfer.Tests.MLNetIntegration;
using MLNet.Transfer.Tests.Reliability;
using MLNet.Transfer.Tests.Training;
using MLNet.Transfer.Training;
using MLNet.Transfer.Training.Tagging;
using static TorchSharp.torch;

namespace MLNet.Transfer.Tests.Tagging;

/// <summary>A tagging task next to a sentence task in FineTuneMultiTask, on tiny random encoders: training, outputs, persistence, parity with the token classifier, bad input.</summary>
[Category("Unit")]
public class MultiTaskTaggingTests
{
    private MLContext _ml = null!;
    private MultiTaskFineTuneEstimator _estimator = null!;
    private FineTunedTextTransformer _model = null!;
    private IDataView _sentiment = null!;
    private IDataView _nerValid = null!;
    private TempDirectory _temp = null!;

    /// <summary>A row with both inputs: a text for the sentence task and words for the tagging task.</summary>
    public sealed class BothRow
    {
        public string Text { get; set; } = "";
        public string[] Tokens { get; set; } = [];
    }

    public sealed class BothPrediction
    {
        [ColumnName("sentiment.Probability")] public float Probability { get; set; }
        [ColumnName("ner.PredictedLabel")] public uint[] Tags { get; set; } = [];
        [ColumnName("ner.Score")] public float[] TagScores { get; set; } = [];
    }

    private static MultiTaskFineTuneOptions Options(IDataView sentiment, IDataView nerTrain, IDataView? nerValid, TaggingHead? head = null) => new()
    {
        Encoder = TinyPipelines.NewEncoder(), Epochs = 4, BatchSize = 8, MaxTokens = 32, LearningRate = 2e-3, HeadDropout = 0, Seed = 5,
        EarlyStoppingTask = "ner",
        Tasks =
        [
            new TextTaskOptions { Name = "sentiment", Kind = TaskKind.Binary, TrainingData = sentiment },
            new TextTaskOptions { Name = "ner", Kind = TaskKind.Tagging, LabelColumnName = "Tags", TrainingData = nerTrain, ValidationData = nerValid, Head = head },
        ],
    };

    [OneTimeSetUp]
    public void TrainOnce()
    {
        _temp = TestModels.TempDir();
        _ml = new MLContext(seed: 1);
        _sentiment = TinyPipelines.TrainingRows(_ml);
        _nerValid = _ml.Data.LoadFromTaggedSentences(TinyTagging.Sentences(32, 2));
        _estimator = _ml.Transforms.Text.FineTuneMultiTask(Options(_sentiment, _ml.Data.LoadFromTaggedSentences(TinyTagging.Sentences(96, 1)), _nerValid));
        _model = _estimator.Fit(_sentiment);
    }

    [OneTimeTearDown]
    public void CleanUp() => _temp?.Dispose();

    [Test]
    public void ATaggingTaskTrainsNextToASentenceTaskAndValidatesOnEntityF1()
    {
        var result = _estimator.LastResult!;
        Assert.That(result.History.Where(h => h.Validation is not null).Count(), Is.EqualTo(4), "one evaluation per epoch");
        Assert.That(result.BestValidation!.Keys, Is.SupersetOf(new[] { "ner.f1", "ner.token_accuracy", "score" }));
        Assert.That(result.BestValidation["score"], Is.EqualTo(result.BestValidation["ner.f1"]), "EarlyStoppingTask = ner ranks by its entity F1");

        var scored = _model.Transform(_nerValid);
        var metrics = _ml.MulticlassClassification.EvaluateTokenClassification(scored, "Tags", "ner.PredictedLabel");
        Assert.That(metrics.F1Score, Is.EqualTo(result.BestValidation["ner.f1"]).Within(1e-9), "the evaluator on the model's columns agrees with the validation metric of the restored weights");
        Assert.That(metrics.F1Score, Is.GreaterThan(0.85), $"entity F1 {metrics.F1Score:F3} after multi-task training");
        Assert.That(_model.Tasks.Select(t => t.Kind), Is.EqualTo(new[] { TaskKind.Binary, TaskKind.Tagging }));
        Assert.That(_model.Tasks[1].Tagging!.Head, Is.EqualTo(TaggingHead.Crf), "BIO tags choose the CRF head, as the token classifier does");
    }

    [Test]
    public void EachInputGetsItsTasksColumnsAndTagsAlignToWords()
    {
        // Words only (a CoNLL view): the tagging task's columns, not the sentence task's.
        var tagged = _model.Transform(_nerValid);
        Assert.That(tagged.Schema.GetColumnOrNull("sentiment.Probability"), Is.Null);
        Assert.That(tagged.Schema["ner.PredictedLabel"].Type, Is.EqualTo(new VectorDataViewType(new KeyDataViewType(typeof(uint), TinyTagging.Tags.Length))));
        VBuffer<ReadOnlyMemory<char>> keys = default;
        tagged.Schema["ner.PredictedLabel"].GetKeyValues(ref keys);
        Assert.That(keys.DenseValues().Select(k => k.ToString()), Is.EqualTo(new[] { "O", "B-location", "B-person", "I-location", "I-person" }));
        var words = tagged.GetColumn<string[]>("Tokens").ToArray();
        var tags = _ml.Transforms.Conversion.MapKeyToValue("ner.PredictedLabel").Fit(tagged).Transform(tagged).GetColumn<string[]>("ner.PredictedLabel").ToArray();
        var scores = tagged.GetColumn<float[]>("ner.Score").ToArray();
        for (int r = 0; r < words.Length; r++)
        {
            Assert.That(tags[r], Has.Length.EqualTo(words[r].Length), $"row {r}: one tag per word");
            Assert.That(scores[r], Has.Length.EqualTo(words[r].Length));
        }
        Assert.That(_model.PredictTags("ner", [["i", "met", "alice", "in", "new", "york"]])[0], Is.EqualTo(new[] { "O", "O", "B-person", "O", "B-location", "I-location" }));

        // Text only: the sentence task's columns.
        var sentences = _model.Transform(_sentiment);
        Assert.That(sentences.Schema.GetColumnOrNull("ner.PredictedLabel"), Is.Null);
        var accuracy = _ml.BinaryClassification.Evaluate(sentences, "Label", "sentiment.Score", "sentiment.Probability", "sentiment.PredictedLabel").Accuracy;
        Assert.That(accuracy, Is.GreaterThan(0.9), "the sentence head learned its task too");

        // Both: one PredictionEngine call fills both tasks.
        var engine = _ml.Model.CreatePredictionEngine<BothRow, BothPrediction>(_model);
        var both = engine.Predict(new BothRow { Text = "a good and lovely film number 3", Tokens = ["we", "met", "bob", "in", "paris"] });
        Assert.That(both.Probability, Is.GreaterThan(0.5));
        var keyNames = keys.DenseValues().Select(k => k.ToString()).ToArray();
        Assert.That(both.Tags.Select(k => keyNames[k - 1]), Is.EqualTo(new[] { "O", "O", "B-person", "O", "B-location" }));
        Assert.That(both.TagScores, Has.Length.EqualTo(5));

        // Neither: refused with the missing column's name.
        var neither = _ml.Data.LoadFromEnumerable([new { Other = "x" }]);
        Assert.That(() => _model.Transform(neither), Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contains("'Text'"));
    }

    [Test]
    public void SaveAndLoadInAFreshProcessGivesIdenticalOutputsForBothTasks()
    {
        string zip = Path.Combine(_temp.Path, "ner-sentiment.zip");
        _ml.Model.Save(_model, _sentiment.Schema, zip);
        var expectedTags = TextRows.Column(_model.Transform(ChildCommands.TaggedSample(_ml)), "ner.Score");
        Assert.That(expectedTags.SelectMany(l => l.Split(' ')).Distinct().Count(), Is.GreaterThan(10), "scores vary, so equality means something");
        ChildCommands.AssertFreshProcessTags(zip, "ner.Score", expectedTags);
        ChildCommands.AssertFreshProcessScores(zip, "sentiment.Score", TextRows.Column(_model.Transform(TextRows.Sample(_ml)), "sentiment.Score"));

        var fresh = new MLContext(seed: 9).RegisterTransferComponents();
        var loaded = (FineTunedTextTransformer)fresh.Model.Load(zip, out _);
        Assert.That(loaded.Tasks[1].Tagging!.Tags, Is.EqualTo(_model.Tasks[1].Tagging!.Tags));
        Assert.That(fresh.MulticlassClassification.EvaluateTokenClassification(loaded.Transform(_nerValid), "Tags", "ner.PredictedLabel").F1Score,
                    Is.EqualTo(_ml.MulticlassClassification.EvaluateTokenClassification(_model.Transform(_nerValid), "Tags", "ner.PredictedLabel").F1Score));
    }

    [TestCase(TaggingHead.Linear)]
    [TestCase(TaggingHead.Crf)]
    public void TheTaggingTaskAloneTrainsExactlyAsTheTokenClassifier(TaggingHead head)
    {
        var settings = new FineTuneSettings { LearningRate = 2e-3, Epochs = 1, BatchSize = 8, MaxTokens = 32, HeadDropout = 0, Seed = 5 };
        var train = TinyTagging.Sentences(48, 1);
        var spec = new TaggerSpec(TinyTagging.Tags, head);

        using var alone = TinyPipelines.NewEncoder();
        manual_seed(3);
        using var tagger = new TaggingModel(alone.Model, spec, settings.HeadDropout);
        var losses = new List<double>();
        new TaggerTrainer(tagger, alone.Tokenizer, settings).Train(train, null, new SyncProgress(p => { if (p.Validation is null) losses.Add(p.Loss); }));

        using var shared = TinyPipelines.NewEncoder();
        manual_seed(3);
        using var multi = new TransferModel(shared.Model, [new TaskSpec("ner", TaskKind.Tagging, spec.Tags.Length) { Tagging = spec }], PoolingMode.Mean, settings.HeadDropout);
        var examples = TrainingExample.FromTaggedWindows(TaggedWindow.From(shared.Tokenizer, train, spec.Tags, settings.MaxTokens), 0, 1);
        var multiLosses = new List<double>();
        new FineTuner(multi, settings, shared.Tokenizer.PadId).Train(examples, null, new SyncProgress(p => { if (p.Validation is null) multiLosses.Add(p.Loss); }));

        Assert.That(losses, Has.Count.EqualTo(6), "48 sentences in batches of 8");
        Assert.That(losses.Distinct().Count(), Is.GreaterThan(1), "losses change, so equality means something");
        Assert.That(multiLosses, Is.EqualTo(losses), "the same batches, loss and updates step by step");
        var sentences = TinyTagging.Sentences(8, 4).Select(s => (IReadOnlyList<string>)s.Tokens).ToArray();
        tagger.eval();
        multi.eval();
        var expected = new TagPredictor(tagger, alone.Tokenizer, 32).Predict(sentences);
        var actual = new TagPredictor(multi.Tagger("ner"), shared.Tokenizer, 32).Predict(sentences);
        Assert.That(actual.SelectMany(p => p.Scores), Is.EqualTo(expected.SelectMany(p => p.Scores)), "identical weights after training");
        Assert.That(multi.state_dict().Keys.Where(k => !k.StartsWith("bert.")), Is.EquivalentTo(tagger.state_dict().Keys.Where(k => !k.StartsWith("bert.")).Select(k => "taggers.ner." + k)),
                    "the head's weights are the token classifier's, under taggers.<task>.");
    }

    [Test]
    public void BadTaggingTasksGiveClearErrors()
    {
        var ner = _ml.Data.LoadFromTaggedSentences(TinyTagging.Sentences(8, 1));
        MultiTaskFineTuneOptions With(TextTaskOptions task) => new() { Encoder = TinyPipelines.NewEncoder(), Epochs = 1, MaxTokens = 32, Tasks = [task] };

        var noWords = With(new TextTaskOptions { Name = "ner", Kind = TaskKind.Tagging, LabelColumnName = "Tags", TrainingData = _sentiment });
        Assert.That(() => _ml.Transforms.Text.FineTuneMultiTask(noWords).Fit(_sentiment),
                    Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contains("Tagging task 'ner' needs a words column 'Tokens'"));
        var noTags = With(new TextTaskOptions { Name = "ner", Kind = TaskKind.Tagging, TrainingData = ner });
        Assert.That(() => _ml.Transforms.Text.FineTuneMultiTask(noTags).Fit(ner),
                    Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contains("needs a tags column 'Label'"));
        var scalarWords = _ml.Data.LoadFromEnumerable([new { Tokens = "not a vector", Tags = "O" }]);
        var scalar = With(new TextTaskOptions { Name = "ner", Kind = TaskKind.Tagging, LabelColumnName = "Tags" });
        Assert.That(() => _ml.Transforms.Text.FineTuneMultiTask(scalar).Fit(scalarWords), Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contains("vector of text"));
        Assert.That(() => _ml.Transforms.Text.FineTuneMultiTask(scalar).GetOutputSchema(SchemaShapes.FromSchema(scalarWords.Schema)),
                    Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contains("(task 'ner')"));
        var oneTag = _ml.Data.LoadFromEnumerable([new TaggedSentenceRow { Tokens = ["a", "b"], Tags = ["O", "O"] }]);
        Assert.That(() => _ml.Transforms.Text.FineTuneMultiTask(scalar).Fit(oneTag), Throws.TypeOf<InvalidDataException>().With.Message.Contains("only one tag"));
        Assert.That(() => _ml.Transforms.Text.FineTuneMultiTask(With(new TextTaskOptions { Name = "s", Kind = TaskKind.Binary, Head = TaggingHead.Crf })),
                    Throws.ArgumentException.With.Message.Contains("options of tagging tasks"));
        Assert.That(() => new FineTuneTransformerEstimator(new FineTuneTransformerOptions(), TaskKind.Tagging),
                    Throws.ArgumentException.With.Message.Contains("FineTuneTokenClassifier"));
        Assert.That(() => _ml.Model.ExportTransferModelToOnnx(_model, new MemoryStream()), Throws.TypeOf<NotSupportedException>().With.Message.Contains("'ner' is a tagging task"),
                    "ONNX export does not cover tagging heads yet, and says so");
    }
}
