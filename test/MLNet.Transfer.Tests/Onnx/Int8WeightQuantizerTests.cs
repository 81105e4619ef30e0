using MLNet.Transfer.Onnx;

namespace MLNet.Transfer.Tests.Onnx;

/// <summary>
/// Per-column symmetric int8 quantization of dense weights: every weight within half a step of its dequantized value,
/// each column's largest magnitude on the grid's end, zero columns harmless, bad input refused.
/// </summary>
[Category("Unit")]
public class Int8WeightQuantizerTests
{
    [TestCase(false, 127)]
    [TestCase(true, 63)]
    public void DequantizedWeightsLieWithinHalfAStepAndEachColumnUsesTheFullRange(bool reducedRange, int limit)
    {
        const int rows = 48, columns = 24;
        var random = new Random(5);
        var weights = new float[rows * columns];
        for (int i = 0; i < weights.Length; i++) weights[i] = (float)(random.NextDouble() * 2 - 1) * (1 + i % columns);  // column c spans ±(c + 1)

        var quantized = Int8WeightQuantizer.Quantize(weights, rows, columns, reducedRange);
        var restored = quantized.Dequantize();

        Assert.That(quantized.Scales, Has.Length.EqualTo(columns));
        for (int c = 0; c < columns; c++)
        {
            float maxAbs = Enumerable.Range(0, rows).Max(r => Math.Abs(weights[r * columns + c]));
            Assert.That(quantized.Scales[c], Is.EqualTo(maxAbs / limit).Within(1e-6f * maxAbs), $"column {c} scale");
            Assert.That(Enumerable.Range(0, rows).Max(r => Math.Abs((int)quantized.Values[r * columns + c])), Is.EqualTo(limit), $"column {c} reaches ±{limit}");
            for (int r = 0; r < rows; r++)
                Assert.That(Math.Abs(restored[r * columns + c] - weights[r * columns + c]), Is.LessThanOrEqualTo(quantized.Scales[c] / 2 * 1.0001f), $"[{r}, {c}]");
        }
        Assert.That(quantized.Values.Min(v => (int)v), Is.GreaterThanOrEqualTo(-limit));
        Assert.That(quantized.Values.Max(v => (int)v), Is.LessThanOrEqualTo(limit));
    }

    [Test]
    public void KnownValuesRoundToTheNearestStep()
    {
        // One column with max |w| = 1.27: scale 0.01, so 0.004 → 0, 0.006 → 1, −0.5 → −50, 1.27 → 127.
        float[] weights = [0.004f, 0.006f, -0.5f, 1.27f];
        var quantized = Int8WeightQuantizer.Quantize(weights, rows: 4, columns: 1, reducedRange: false);
        Assert.That(quantized.Scales[0], Is.EqualTo(0.01f).Within(1e-7f));
        Assert.That(quantized.Values, Is.EqualTo(new sbyte[] { 0, 1, -50, 127 }));
    }

    [Test]
    public void AllZeroColumnsGetAPositiveScaleAndZeroValues()
    {
        var quantized = Int8WeightQuantizer.Quantize(new float[6], rows: 3, columns: 2, reducedRange: false);
        Assert.That(quantized.Scales, Is.All.Positive);
        Assert.That(quantized.Values, Is.All.EqualTo((sbyte)0));
        Assert.That(quantized.Dequantize(), Is.All.EqualTo(0f));
    }

    [Test]
    public void NonFiniteWeightsAndWrongShapesAreRefused()
    {
        Assert.That(() => Int8WeightQuantizer.Quantize([1f, float.NaN], 1, 2, false), Throws.ArgumentException.With.Message.Contains("NaN"));
        Assert.That(() => Int8WeightQuantizer.Quantize([1f, 2f, 3f], 2, 2, false), Throws.ArgumentException.With.Message.Contains("2 × 2"));
    }
}
