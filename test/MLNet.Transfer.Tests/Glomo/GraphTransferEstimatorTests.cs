using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transfer.MLNetIntegration;
using MLNet.Transfer.Pretraining;
using MLNet.Transfer.Tests.Text;
using MLNet.Transfer.Text;
using MLNet.Transfer.Training;
using static TorchSharp.torch;

namespace MLNet.Transfer.Tests.Glomo;

/// <summary>
/// The GLoMo-style graph-transfer trainer as an ML.NET estimator, on tiny random models: output columns and shapes,
/// Save/Load, the graphs it applies, and its errors.
/// </summary>
[Category("Unit")]
public class GraphTransferEstimatorTests
{
    private static (MLContext Context, IDataView Data) LetterData(int count = 48)
    {
        var mlContext = new MLContext(seed: 1);
        return (mlContext, mlContext.Data.LoadFromEnumerable(GraphTransferFixtures.Rows(count)));
    }

    [Test]
    public void MulticlassFitAddsScoreAndPredictedLabelAndLearnsTheLetters()
    {
        using var temp = TestModels.TempDir();
        using var encoder = GraphTransferFixtures.Encoder();
        var (mlContext, data) = LetterData();
        var estimator = mlContext.MulticlassClassification.Trainers.GraphTransfer(GraphTransferFixtures.Options(GraphTransferFixtures.GraphModelDirectory(temp.Path), encoder));
        var shape = estimator.GetOutputSchema(SchemaShapes.FromSchema(data.Schema));
        Assert.That(shape.Select(c => c.Name), Is.SupersetOf(new[] { "Score", "PredictedLabel" }));

        var chain = mlContext.Transforms.Conversion.MapValueToKey("Label").Append(estimator).Fit(data);
        using var model = chain.LastTransformer;
        Assert.That(model.ClassNames, Is.EqualTo(GraphTransferFixtures.Classes), "the label's key values, in key order");
        var scored = chain.Transform(data);
        Assert.That(scored.Schema["Score"].Type, Is.EqualTo(new VectorDataViewType(NumberDataViewType.Single, 3)));
        Assert.That(scored.Schema["PredictedLabel"].Type, Is.EqualTo(new KeyDataViewType(typeof(uint), 3)));
        var scores = GraphTransferFixtures.Scores(scored);
        Assert.That(scores, Has.Length.EqualTo(48));
        Assert.That(scores.Select(s => s.Sum()), Has.All.EqualTo(1f).Within(1e-5f));
        Assert.That(scores.Select(s => s[0]).Distinct().Count(), Is.GreaterThan(10), "the scores vary with the text");
        var metrics = mlContext.MulticlassClassification.Evaluate(scored);
        Assert.That(metrics.MicroAccuracy, Is.GreaterThanOrEqualTo(0.9), "three letter sets are separable");
    }

    [Test]
    public void BinaryFitAddsScoreProbabilityAndPredictedLabel()
    {
        using var temp = TestModels.TempDir();
        using var encoder = GraphTransferFixtures.Encoder();
        var (mlContext, data) = LetterData();
        var options = GraphTransferFixtures.Options(GraphTransferFixtures.GraphModelDirectory(temp.Path), encoder);
        options.LabelColumnName = nameof(LetterRow.Positive);
        using var model = mlContext.BinaryClassification.Trainers.GraphTransfer(options).Fit(data);
        var scored = model.Transform(data);
        var score = scored.GetColumn<float>("Score").ToArray();
        var probability = scored.GetColumn<float>("Probability").ToArray();
        var predicted = scored.GetColumn<bool>("PredictedLabel").ToArray();
        Assert.That(probability, Is.EqualTo(score.Select(s => 1f / (1f + MathF.Exp(-s)))).Within(1e-6f));
        Assert.That(predicted, Is.EqualTo(score.Select(s => s > 0)));
        var logits = model.Logits(GraphTransferFixtures.Rows(48).Select(r => r.Text).ToArray());
        Assert.That(score, Is.EqualTo(logits.Select(l => l[1] - l[0])).Within(1e-5f), "Score is the positive class's logit against the negative one");
        var metrics = mlContext.BinaryClassification.Evaluate(scored, labelColumnName: nameof(LetterRow.Positive));
        Assert.That(metrics.Accuracy, Is.GreaterThanOrEqualTo(0.9));
    }

    [TestCase(GraphSource.Pretrained)]
    [TestCase(GraphSource.Random)]
    [TestCase(GraphSource.None)]
    public void SaveAndLoadGiveIdenticalScores(GraphSource graphs)
    {
        using var temp = TestModels.TempDir();
        using var encoder = GraphTransferFixtures.Encoder();
        var (mlContext, data) = LetterData();
        using var model = mlContext.MulticlassClassification.Trainers.GraphTransfer(GraphTransferFixtures.Options(GraphTransferFixtures.GraphModelDirectory(temp.Path), encoder, graphs)).Fit(data);
        Assert.That(model.Graphs, Is.EqualTo(graphs));
        Assert.That(model.Classifier.UsesGraphs, Is.EqualTo(graphs != GraphSource.None));
        string zip = Path.Combine(temp.Path, "model.zip");
        mlContext.Model.Save(model, data.Schema, zip);

        var fresh = new MLContext(seed: 2).RegisterTransferComponents();
        var loaded = fresh.Model.Load(zip, out _);
        Assert.That(loaded, Is.InstanceOf<GraphTransferTransformer>());
        var expected = GraphTransferFixtures.Scores(model.Transform(data));
        var actual = GraphTransferFixtures.Scores(loaded.Transform(data));
        Assert.That(actual, Is.EqualTo(expected), "bit-identical after Save/Load");
        var reloaded = (GraphTransferTransformer)loaded;
        Assert.That(reloaded.Graphs, Is.EqualTo(graphs));
        Assert.That(reloaded.GraphModel is null, Is.EqualTo(graphs == GraphSource.None));
        Assert.That(reloaded.Tokenizer.Vocabulary, Is.EqualTo(TestVocab.SmallTokens()));

        var engine = fresh.Model.CreatePredictionEngine<LetterRow, Prediction>(loaded);
        var logits = reloaded.Logits(["a b c"])[0];
        float max = logits.Max(), sum = logits.Sum(l => MathF.Exp(l - max));
        Assert.That(engine.Predict(new LetterRow { Text = "a b c" }).Score, Is.EqualTo(logits.Select(l => MathF.Exp(l - max) / sum)).Within(1e-6f));
    }

    [Test]
    public void TheGraphsAppliedAreTheSavedGraphModels()
    {
        using var temp = TestModels.TempDir();
        using var encoder = GraphTransferFixtures.Encoder();
        string dir = GraphTransferFixtures.GraphModelDirectory(temp.Path);
        var (mlContext, data) = LetterData();
        using var model = mlContext.MulticlassClassification.Trainers.GraphTransfer(GraphTransferFixtures.Options(dir, encoder)).Fit(data);
        string zip = Path.Combine(temp.Path, "model.zip");
        mlContext.Model.Save(model, data.Schema, zip);
        var loaded = (GraphTransferTransformer)new MLContext(seed: 2).RegisterTransferComponents().Model.Load(zip, out _);

        using var fromDirectory = GlomoLanguageModel.Load(dir);
        string[] texts = ["a b c d e f", "x y z", "m n o p q r m n"];
        using var batch = TokenBatch.Create(texts.Select(t => fromDirectory.Tokenizer.Encode(t, 16)).ToArray(), fromDirectory.Tokenizer.PadId);
        using var expected = fromDirectory.Graphs(batch);
        using var spread = expected[0, 0, 4].std();
        Assert.That(spread.item<float>(), Is.GreaterThan(0.05f), "the graph rows are far from uniform, so equality is informative");
        foreach (var applied in new[] { model, loaded })
        {
            using var graphs = applied.GraphModel!.Graphs(batch);
            Assert.That(graphs.data<float>().ToArray(), Is.EqualTo(expected.data<float>().ToArray()), "the estimator's graphs are the directory's, bit for bit");
            // The scores are the classifier over exactly those graphs.
            var withDirectoryGraphs = GraphTransferTrainer.Logits(applied.Classifier, fromDirectory, fromDirectory.Tokenizer, texts, applied.MaxTokens);
            Assert.That(applied.Logits(texts), Is.EqualTo(withDirectoryGraphs));
        }

        // Random graphs are an untrained model of the same shape (seed 1000 + Seed), not the pretrained one.
        var options = GraphTransferFixtures.Options(dir, encoder, GraphSource.Random);
        using var random = mlContext.MulticlassClassification.Trainers.GraphTransfer(options).Fit(data);
        using var untrained = GlomoLanguageModel.FromScratch(fromDirectory.Config, fromDirectory.Tokenizer, 1000 + options.Seed);
        using var randomGraphs = random.GraphModel!.Graphs(batch);
        using var untrainedGraphs = untrained.Graphs(batch);
        Assert.That(randomGraphs.data<float>().ToArray(), Is.EqualTo(untrainedGraphs.data<float>().ToArray()));
        Assert.That(randomGraphs.data<float>().ToArray(), Is.Not.EqualTo(expected.data<float>().ToArray()));
    }

    [Test]
    public void ClearErrors()
    {
        using var temp = TestModels.TempDir();
        using var encoder = GraphTransferFixtures.Encoder();
        var (mlContext, data) = LetterData(12);
        var trainers = mlContext.MulticlassClassification.Trainers;

        string missing = Path.Combine(temp.Path, "no-such-dir");
        var notFound = Assert.Throws<DirectoryNotFoundException>(() => trainers.GraphTransfer(GraphTransferFixtures.Options(missing, encoder)).Fit(data));
        Assert.That(notFound!.Message, Does.Contain(missing).And.Contain("pretrain --model scratch --arch glomo"));

        string bert = GraphTransferFixtures.EncoderDirectory(temp.Path);
        var notGlomo = Assert.Throws<InvalidDataException>(() => trainers.GraphTransfer(GraphTransferFixtures.Options(bert, encoder)).Fit(data));
        Assert.That(notGlomo!.Message, Does.Contain("is not a GLoMo-style graph model (model_type bert)"));

        var noDirectory = Assert.Throws<ArgumentException>(() => trainers.GraphTransfer(GraphTransferFixtures.Options("", encoder)).Fit(data));
        Assert.That(noDirectory!.Message, Does.Contain("GraphModelDirectory is required"));

        string dir = GraphTransferFixtures.GraphModelDirectory(temp.Path);
        var options = GraphTransferFixtures.Options(dir, encoder);
        options.TextColumnName = "Review";
        var estimator = trainers.GraphTransfer(options);
        var noText = Assert.Throws<ArgumentOutOfRangeException>(() => estimator.GetOutputSchema(SchemaShapes.FromSchema(data.Schema)));
        Assert.That(noText!.Message, Does.Contain("Text column 'Review' was not found"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => estimator.Fit(data))!.Message, Does.Contain("Text column 'Review' was not found"));

        using var halfEncoder = GraphTransferFixtures.Encoder(vocabulary: TestVocab.SmallTokens()[..18]); // special tokens and a … m
        var otherVocabulary = Assert.Throws<InvalidDataException>(() => trainers.GraphTransfer(GraphTransferFixtures.Options(dir, halfEncoder)).Fit(data));
        Assert.That(otherVocabulary!.Message, Does.Contain("13 of the 31 word pieces of the graph model are not in tiny-letters's vocabulary (e.g. 'n', 'o'"));

        var regression = Assert.Throws<ArgumentException>(() => new GraphTransferEstimator(options, TaskKind.Regression));
        Assert.That(regression!.Message, Does.Contain("binary or multiclass"));
    }

    /// <summary>What a PredictionEngine returns for the multiclass model.</summary>
    public sealed class Prediction
    {
        public float[] Score { get; set; } = [];
        public uint PredictedLabel { get; set; }
    }
}
