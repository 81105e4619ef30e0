using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transfer.MLNetIntegration;

namespace MLNet.Transfer.Tests.Gpt1;

/// <summary>GPT-1's multiple-choice transformation as an ML.NET trainer (tiny random encoders).</summary>
[Category("Unit")]
public class MultipleChoiceTrainingTests
{
    private sealed class ChoiceRow
    {
        public string Text { get; set; } = "";
        [VectorType(4)] public string[] Candidates { get; set; } = [];
        public float Label { get; set; }
    }

    private sealed class ScalarCandidateRow
    {
        public string Text { get; set; } = "";
        public string Candidates { get; set; } = "";
        public float Label { get; set; }
    }

    private sealed class Prediction
    {
        [VectorType(4)] public float[] Score { get; set; } = [];
        [KeyType(4)] public uint PredictedLabel { get; set; }
    }

    private static readonly string[] Topics = ["sports", "politics", "science", "music"];
    private static readonly string[] Stories = ["the team won the match", "the vote passed in parliament", "the lab found a new cell", "the band played a new song",
                                                "a goal in the final minute", "the minister resigned today", "a rocket reached orbit", "the singer released an album"];

    /// <summary>Each story with the four topic names as candidates, the right one at a varying slot.</summary>
    private static List<ChoiceRow> Rows(int shift = 0) =>
    [
        .. Stories.Select((story, i) =>
        {
            int rotation = (i + shift) % 4;
            var candidates = Enumerable.Range(0, 4).Select(k => Topics[(k + rotation) % 4]).ToArray();
            return new ChoiceRow { Text = story, Candidates = candidates, Label = Array.IndexOf(candidates, Topics[i % 4]) };
        }),
    ];

    private static FineTuneMultipleChoiceOptions Options(string model, double? auxiliary = null) => new()
    {
        Model = model, Epochs = 2, BatchSize = 4, Seed = 5, AuxiliaryLanguageModelWeight = auxiliary,
    };

    private static Prediction[] Predict(MLContext ml, ITransformer model, IEnumerable<ChoiceRow> rows) =>
        [.. ml.Data.CreateEnumerable<Prediction>(model.Transform(ml.Data.LoadFromEnumerable(rows)), reuseRowObject: false)];

    [Test]
    public void ScoresAreASoftmaxAcrossCandidatesThatFollowsTheirOrderAndMlNetEvaluatesThem()
    {
        using var temp = TestModels.TempDir();
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Rows());
        var model = ml.MulticlassClassification.Trainers.FineTuneMultipleChoice(Options(TestModels.TinyModelDirectory(temp.Path))).Fit(data);
        Assert.That(model.InferenceEngine, Is.EqualTo(InferenceEngine.OnnxRuntime), "a bidirectional encoder's candidates are scored on ONNX Runtime");
        Assert.That(model.CandidateCount, Is.EqualTo(4));

        var rows = Rows();
        var predictions = Predict(ml, model, rows);
        Assert.That(predictions.SelectMany(p => p.Score).Distinct().Count(), Is.GreaterThan(8), "varied scores, so the comparisons below mean something");
        foreach (var p in predictions)
        {
            Assert.That(p.Score.Sum(), Is.EqualTo(1).Within(1e-5), "a softmax across the candidates");
            Assert.That(p.PredictedLabel, Is.EqualTo((uint)Array.IndexOf(p.Score, p.Score.Max()) + 1), "PredictedLabel is the most probable slot (key = slot + 1)");
        }

        // Reversing each row's candidates reverses its scores (each candidate is scored on its own).
        var reversed = rows.Select(r => new ChoiceRow { Text = r.Text, Candidates = [.. r.Candidates.Reverse()], Label = 3 - r.Label }).ToList();
        var reversedPredictions = Predict(ml, model, reversed);
        for (int i = 0; i < rows.Count; i++)
            Assert.That(reversedPredictions[i].Score.Reverse().ToArray(), Is.EqualTo(predictions[i].Score).Within(1e-5), $"row {i}");

        var libTorch = Predict(ml, model.WithInferenceEngine(InferenceEngine.LibTorch), rows);
        Assert.That(libTorch.SelectMany(p => p.Score).ToArray(), Is.EqualTo(predictions.SelectMany(p => p.Score).ToArray()).Within(1e-4), "LibTorch agrees with ONNX Runtime");

        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(data));
        double accuracy = predictions.Select((p, i) => p.PredictedLabel - 1 == rows[i].Label ? 1.0 : 0).Average();
        Assert.That(metrics.MicroAccuracy, Is.EqualTo(accuracy).Within(1e-9), "ML.NET's multiclass evaluator reads the 0-based label against the key PredictedLabel");
        double logLoss = -predictions.Select((p, i) => Math.Log(p.Score[(int)rows[i].Label])).Average();
        Assert.That(metrics.LogLoss, Is.EqualTo(logLoss).Within(1e-4), "and the right candidate's probability in Score");
    }

    [Test]
    public void SaveAndLoadGiveBitIdenticalScores()
    {
        using var temp = TestModels.TempDir();
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Rows());
        var model = ml.MulticlassClassification.Trainers.FineTuneMultipleChoice(Options(TestModels.TinyModelDirectory(temp.Path))).Fit(data);
        string zip = Path.Combine(temp.Path, "choice.zip");
        ml.Model.Save(model, data.Schema, zip);
        var fresh = new MLContext(seed: 2).RegisterTransferComponents();
        var loaded = fresh.Model.Load(zip, out _);
        Assert.That(loaded, Is.InstanceOf<MultipleChoiceTransformer>());
        var expected = Predict(ml, model, Rows(shift: 1));
        var actual = Predict(fresh, loaded, Rows(shift: 1));
        Assert.That(actual.SelectMany(p => p.Score).ToArray(), Is.EqualTo(expected.SelectMany(p => p.Score).ToArray()));
        Assert.That(actual.Select(p => p.PredictedLabel).ToArray(), Is.EqualTo(expected.Select(p => p.PredictedLabel).ToArray()));
        var engine = fresh.Model.CreatePredictionEngine<ChoiceRow, Prediction>(loaded);
        Assert.That(engine.Predict(Rows(shift: 1)[3]).Score, Is.EqualTo(expected[3].Score), "PredictionEngine gives the same row");
    }

    [Test]
    public void TheAuxiliaryLanguageModelLossTrainsACausalEncodersChoicesDifferently()
    {
        using var temp = TestModels.TempDir();
        string dir = CausalTinyModel.Directory(temp.Path);
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Rows());
        var estimator = ml.MulticlassClassification.Trainers.FineTuneMultipleChoice(Options(dir));
        var byDefault = estimator.Fit(data);
        Assert.That(estimator.LastDefaults!.Reasons, Has.Some.Contain("auxiliary language-model loss weight 0.5"), "a causal encoder gets GPT-1's λ = 0.5 by default");
        Assert.That(byDefault.InferenceEngine, Is.EqualTo(InferenceEngine.LibTorch), "a causal encoder's candidates are scored on LibTorch");
        Assert.That(estimator.LastDefaults!.PredictionWindowStride, Is.EqualTo(0), "pairs are read whole: no prediction windows");
        Assert.That(estimator.LastDefaults!.TuneThreshold, Is.False);
        var half = Predict(ml, byDefault, Rows()).SelectMany(p => p.Score).ToArray();
        var explicitHalf = Predict(ml, ml.MulticlassClassification.Trainers.FineTuneMultipleChoice(Options(dir, 0.5)).Fit(data), Rows()).SelectMany(p => p.Score).ToArray();
        var zero = ml.MulticlassClassification.Trainers.FineTuneMultipleChoice(Options(dir, 0)).Fit(data);
        Assert.That(explicitHalf, Is.EqualTo(half), "the default is λ = 0.5, deterministic for a seed");
        // The random head's scores stay near 1/4 after four steps; the encoders the two objectives trained differ clearly.
        var withLoss = byDefault.Encoder.Embed([Stories[0]])[0];
        var withoutLoss = zero.Encoder.Embed([Stories[0]])[0];
        Assert.That(withLoss.Zip(withoutLoss).Max(p => Math.Abs(p.First - p.Second)), Is.GreaterThan(1e-3), "λ = 0 trains without the language-model loss");
    }

    [Test]
    public void BadColumnsAndLabelsAreRefusedByNameAndValue()
    {
        using var temp = TestModels.TempDir();
        string dir = TestModels.TinyModelDirectory(temp.Path);
        var ml = new MLContext(seed: 1);
        var estimator = ml.MulticlassClassification.Trainers.FineTuneMultipleChoice(Options(dir));

        var scalar = ml.Data.LoadFromEnumerable(new[] { new ScalarCandidateRow { Text = "a", Candidates = "b", Label = 0 } });
        Assert.That(() => estimator.Fit(scalar), Throws.InstanceOf<ArgumentOutOfRangeException>()
            .With.Message.Contain("Candidates column 'Candidates' must be a known-size vector of text").And.Message.Contain("String"));
        Assert.That(() => estimator.GetOutputSchema(SchemaShapeOf(scalar)), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contain("'Candidates'"));

        var rows = Rows();
        rows[5].Label = 4;
        Assert.That(() => estimator.Fit(ml.Data.LoadFromEnumerable(rows)), Throws.InstanceOf<InvalidDataException>()
            .With.Message.Contain("row 6").And.Message.Contain("label '4' in column 'Label'").And.Message.Contain("0 to 3"));
        rows[5].Label = 1.5f;
        Assert.That(() => estimator.Fit(ml.Data.LoadFromEnumerable(rows)), Throws.InstanceOf<InvalidDataException>().With.Message.Contain("label '1.5'"));

        var valid = ml.Data.LoadFromEnumerable(Rows());
        var options = Options(dir);
        options.SecondTextColumnName = "Text";
        Assert.That(() => ml.MulticlassClassification.Trainers.FineTuneMultipleChoice(options).Fit(valid), Throws.ArgumentException.With.Message.Contain("SecondTextColumnName"));
        options = Options(dir);
        options.CandidatesColumnName = "Choices";
        Assert.That(() => ml.MulticlassClassification.Trainers.FineTuneMultipleChoice(options).Fit(valid),
            Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contain("'Choices' was not found"));
    }

    private static SchemaShape SchemaShapeOf(IDataView data) => SchemaShapes.FromSchema(data.Schema);
}
