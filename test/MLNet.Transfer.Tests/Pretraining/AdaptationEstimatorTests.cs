using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transfer.MLNetIntegration;
using MLNet.Transfer.Pretraining;

namespace MLNet.Transfer.Tests.Pretraining;

/// <summary>Domain adaptation through ML.NET: unlabelled texts in an IDataView → adapted featurizer → fine-tuning from it.</summary>
[Category("Unit")]
public class AdaptationEstimatorTests
{
    public sealed class Line { public string Text { get; set; } = ""; }

    public sealed class Labeled
    {
        public bool Label { get; set; }
        public string Text { get; set; } = "";
    }

    [Test]
    public void FlatOptionsBuildTheTrainingRecordWithTheMeasuredRecipeAsDefault()
    {
        var recipe = new PretrainingSettings { Steps = 600, LearningRate = 5e-5, ContrastiveWeight = 1 };
        var options = new LanguageModelAdaptationOptions();
        Assert.That(options.ToSettings(), Is.EqualTo(recipe), "every other setting keeps the record's default");
        var custom = new LanguageModelAdaptationOptions { Objective = LanguageModelObjective.CausalLm, Steps = 7, BatchSize = 3, Seed = 9, CheckpointDirectory = "ckpt" };
        Assert.That(custom.ToSettings(), Is.EqualTo(recipe with { Objective = LanguageModelObjective.CausalLm, Steps = 7, BatchSize = 3, Seed = 9, CheckpointDirectory = "ckpt" }));
    }

    [Test]
    public void AdaptsACopyOnTheTextColumnAndHandsTheEncoderToFineTuning()
    {
        using var temp = TestModels.TempDir();
        var mlContext = new MLContext(1);
        string[] words = ["the", "cat", "sat", "on", "a", "mat", "dog", "ran"];
        var random = new Random(4);
        var corpus = mlContext.Data.LoadFromEnumerable(Enumerable.Range(0, 300)
            .Select(i => new Line { Text = i % 50 == 0 ? " " : string.Join(' ', Enumerable.Range(0, 8).Select(_ => words[random.Next(words.Length)])) }).ToList());
        var options = new LanguageModelAdaptationOptions
        {
            Embeddings = new ContextualEmbeddingOptions { Model = TestModels.TinyModelDirectory(temp.Path), OutputColumnName = "Features" },
            Steps = 60, BatchSize = 16, MaxTokens = 16, LearningRate = 3e-3, ContrastiveWeight = 0, ValidFraction = 0.1, Seed = 2,
        };
        var estimator = mlContext.Transforms.Text.AdaptLanguageModel(options);
        var adapted = estimator.Fit(corpus);

        var result = estimator.LastResult!;
        TestContext.Out.WriteLine($"held-out MLM loss {result.HeldOutLossBefore:F3} → {result.HeldOutLossAfter:F3}");
        Assert.That(result.HeldOutLossAfter, Is.LessThan(result.HeldOutLossBefore * 0.8));
        Assert.That(result.TrainLines + result.HeldOutLines, Is.EqualTo(294), "blank lines are skipped");
        var vectors = adapted.Transform(corpus).GetColumn<float[]>("Features").First();
        Assert.That(vectors, Has.Length.EqualTo(adapted.Encoder.HiddenSize));

        var labelled = mlContext.Data.LoadFromEnumerable(Enumerable.Range(0, 16).Select(i => new Labeled { Label = i % 2 == 0, Text = i % 2 == 0 ? "the cat sat" : "a dog ran" }).ToList());
        var fineTuned = mlContext.BinaryClassification.Trainers.FineTuneTransformer(new FineTuneTransformerOptions { Encoder = adapted.Encoder, Epochs = 1, BatchSize = 8 }).Fit(labelled);
        Assert.That(fineTuned.Encoder, Is.Not.SameAs(adapted.Encoder), "fine-tuning copies the adapted encoder");
    }

    [Test]
    public void EmptyCorpusIsAClearError()
    {
        using var temp = TestModels.TempDir();
        var mlContext = new MLContext(1);
        var blank = mlContext.Data.LoadFromEnumerable(new[] { new Line { Text = "" }, new Line { Text = "  " } });
        var options = new LanguageModelAdaptationOptions { Embeddings = new ContextualEmbeddingOptions { Model = TestModels.TinyModelDirectory(temp.Path) } };
        Assert.That(() => mlContext.Transforms.Text.AdaptLanguageModel(options).Fit(blank),
            Throws.InstanceOf<InvalidDataException>().With.Message.Contain("'Text' has no non-empty text"));
    }
}
