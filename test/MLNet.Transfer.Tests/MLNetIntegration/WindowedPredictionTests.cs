using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transfer.MLNetIntegration;
using MLNet.Transfer.Models.Heads;

namespace MLNet.Transfer.Tests.MLNetIntegration;

/// <summary>Fine-tuned models can score long texts window by window, averaging the logits.</summary>
[Category("Unit")]
public class WindowedPredictionTests
{
    [Test]
    public void LongTextsAverageTheLogitsOfTheirWindowsAndShortTextsAreUnchanged()
    {
        using var temp = TestModels.TempDir();
        var mlContext = new MLContext(1);
        var rows = Enumerable.Range(0, 16).Select(i => new TextRow { Label = i % 2 == 0, Text = i % 2 == 0 ? "good fun film" : "dull bad film" }).ToList();
        string longText = string.Join(' ', Enumerable.Repeat("a long and winding review that goes on", 12));
        var data = mlContext.Data.LoadFromEnumerable(rows);
        var test = mlContext.Data.LoadFromEnumerable(new[] { new TextRow { Text = "good fun film" }, new TextRow { Text = longText } });
        var options = new FineTuneTransformerOptions { Model = TestModels.TinyModelDirectory(temp.Path), Epochs = 1, BatchSize = 8, MaxTokens = 16, PredictionWindowStride = 8 };
        var windowed = mlContext.BinaryClassification.Trainers.FineTuneTransformer(options).Fit(data);

        var scores = windowed.Transform(test).GetColumn<float>("Score").ToArray();
        var tokenizer = windowed.Encoder.Tokenizer;
        var windows = tokenizer.EncodeWindows(longText, 16, 8);
        Assert.That(windows.Count, Is.GreaterThan(5));
        var predictor = new TaskPredictor(windowed.Model, tokenizer.PadId);
        float expectedLong = predictor.Predict(windows)[0].Average(o => o[0]);
        float expectedShort = predictor.Predict([tokenizer.Encode("good fun film", 16)])[0][0][0];
        Assert.That(scores[1], Is.EqualTo(expectedLong).Within(1e-5));
        Assert.That(scores[0], Is.EqualTo(expectedShort).Within(1e-5));

        string zip = Path.Combine(temp.Path, "windowed.zip");
        mlContext.Model.Save(windowed, data.Schema, zip);
        var loaded = new MLContext(2).RegisterTransferComponents().Model.Load(zip, out _);
        Assert.That(loaded.Transform(test).GetColumn<float>("Score").ToArray(), Is.EqualTo(scores));

        options.PredictionWindowStride = 15;
        Assert.That(() => mlContext.BinaryClassification.Trainers.FineTuneTransformer(options).Fit(data),
            Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contain("PredictionWindowStride"));
    }
}
