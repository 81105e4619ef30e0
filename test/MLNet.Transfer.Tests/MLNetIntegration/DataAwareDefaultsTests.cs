using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transfer.MLNetIntegration;
using MLNet.Transfer.Text;
using MLNet.Transfer.Training;

namespace MLNet.Transfer.Tests.MLNetIntegration;

/// <summary>The fine-tuning trainer fills open settings from the data, tunes and stores the decision threshold, and explicit options win.</summary>
[Category("Unit")]
public class DataAwareDefaultsTests
{
    private static List<TextRow> Imbalanced(int n) => Enumerable.Range(0, n)
        .Select(i => i % 4 == 0 ? new TextRow { Label = true, Text = $"oh great, another monday {i}" } : new TextRow { Label = false, Text = $"the bus was on time today {i}" })
        .ToList();

    [Test]
    public void ImbalancedBinaryDataGetsClassWeightsAndAThresholdThatSurvivesSaveAndLoad()
    {
        using var temp = TestModels.TempDir();
        var mlContext = new MLContext(1);
        var train = mlContext.Data.LoadFromEnumerable(Imbalanced(48));
        var valid = mlContext.Data.LoadFromEnumerable(Imbalanced(64)); // at least TrainingDefaults.MinimumValidationExamples, or no threshold is tuned
        DataAwareDefaults? reported = null;
        var options = new FineTuneTransformerOptions { Model = TestModels.TinyModelDirectory(temp.Path), ValidationSet = valid, DefaultsChosen = d => reported = d };
        var estimator = mlContext.BinaryClassification.Trainers.FineTuneTransformer(options);
        var model = estimator.Fit(train);

        Assert.That(reported, Is.SameAs(estimator.LastDefaults));
        Assert.That(reported!.BalanceClasses && reported.TuneThreshold, "3:1 classes");
        Assert.That((reported.BatchSize, reported.Epochs, reported.Truncation, reported.PredictionWindowStride), Is.EqualTo((16, 10, TruncationStrategy.Head, 0)));
        float threshold = model.TaskOutputs[0].Threshold;
        Assert.That(threshold, Is.Not.Zero, "tuned on the validation data");

        var scored = model.Transform(valid);
        var scores = scored.GetColumn<float>("Score").ToArray();
        var labels = scored.GetColumn<bool>("PredictedLabel").ToArray();
        var probabilities = scored.GetColumn<float>("Probability").ToArray();
        var logits = model.Predict(Imbalanced(64).Select(r => r.Text).ToArray(), null)[0].Select(o => o[0]).ToArray();
        Assert.That(logits.Distinct().Count(), Is.GreaterThan(1), "varied scores, or the comparison proves nothing");
        Assert.That(scores, Is.EqualTo(logits.Select(l => l - threshold).ToArray()), "Score = logit minus the threshold");
        Assert.That(labels, Is.EqualTo(logits.Select(l => l > threshold).ToArray()), "PredictedLabel uses the stored threshold");
        Assert.That(probabilities.Select(p => p > 0.5f), Is.EqualTo(labels), "ML.NET's evaluator, which reads Probability, agrees with PredictedLabel");

        string zip = Path.Combine(temp.Path, "threshold.zip");
        mlContext.Model.Save(model, train.Schema, zip);
        var loaded = new MLContext(2).RegisterTransferComponents().Model.Load(zip, out _);
        var reloaded = loaded.Transform(valid);
        Assert.That(reloaded.GetColumn<bool>("PredictedLabel").ToArray(), Is.EqualTo(labels));
        Assert.That(((FineTunedTextTransformer)loaded).TaskOutputs[0].Threshold, Is.EqualTo(threshold));
    }

    [Test]
    public void ExplicitOptionsWinOverTheDataAndAGivenProbabilityThresholdIsUsedAsIs()
    {
        using var temp = TestModels.TempDir();
        var mlContext = new MLContext(1);
        var train = mlContext.Data.LoadFromEnumerable(Imbalanced(32));
        var options = new FineTuneTransformerOptions
        {
            Model = TestModels.TinyModelDirectory(temp.Path), Epochs = 1, BatchSize = 8, MaxTokens = 24, BalanceClasses = false,
            Truncation = TruncationStrategy.Tail, PredictionWindowStride = 0, DecisionThreshold = 0.8, ValidationSet = train,
        };
        var estimator = mlContext.BinaryClassification.Trainers.FineTuneTransformer(options);
        var model = estimator.Fit(train);
        var d = estimator.LastDefaults!;
        Assert.That((d.Epochs, d.BatchSize, d.MaxTokens, d.BalanceClasses, d.Truncation, d.PredictionWindowStride, d.TuneThreshold),
            Is.EqualTo((1, 8, 24, false, TruncationStrategy.Tail, 0, false)));
        Assert.That(model.TaskOutputs[0].Threshold, Is.EqualTo((float)Math.Log(0.8 / 0.2)).Within(1e-6));
        options.DecisionThreshold = 1.0;
        Assert.That(() => estimator.Fit(train), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contain("DecisionThreshold"));
    }

    [Test]
    public void ATokenBudgetTrainsShortTextsInFewerStepsAndFixedBatchesStayTheDefault()
    {
        using var temp = TestModels.TempDir();
        var mlContext = new MLContext(1);
        var rows = Enumerable.Range(0, 2048).Select(i => new TextRow { Label = i % 2 == 0, Text = i % 2 == 0 ? $"good day {i}" : $"bad day {i}" }).ToList();
        var train = mlContext.Data.LoadFromEnumerable(rows);
        string model = TestModels.TinyModelDirectory(temp.Path);
        (DataAwareDefaults Defaults, int Steps) Fit(int? tokensPerBatch)
        {
            DataAwareDefaults? chosen = null;
            int steps = 0;
            var options = new FineTuneTransformerOptions
            {
                Model = model, Epochs = 1, TokensPerBatch = tokensPerBatch, DefaultsChosen = d => chosen = d, Progress = new SyncProgress(p => steps = p.TotalSteps),
            };
            mlContext.BinaryClassification.Trainers.FineTuneTransformer(options).Fit(train);
            return (chosen!, steps);
        }

        var (fixedBatches, fixedSteps) = Fit(null);
        Assert.That((fixedBatches.BatchSize, fixedBatches.MaxTokens, fixedBatches.TokensPerBatch), Is.EqualTo((32, 32, 0)), "2,048 texts of ~6 word pieces");
        Assert.That(fixedSteps, Is.EqualTo(2048 / 32));
        var (budget, budgetSteps) = Fit(32 * 32);
        Assert.That(budget.TokensPerBatch, Is.EqualTo(1024));
        Assert.That(budgetSteps, Is.EqualTo(2048 / (32 * FineTuneSettings.MaxRowsPerBudgetBatch)), "128 texts per step: the 4 × batch cap");
    }
}
