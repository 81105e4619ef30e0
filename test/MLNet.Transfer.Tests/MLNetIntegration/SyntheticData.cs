using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.Transfer.Tests.MLNetIntegration;

/// <summary>A small deterministic binary-classification set and helpers to read model outputs exactly.</summary>
internal static class SyntheticData
{
    public sealed class Row
    {
        public float X { get; set; }
        public float Other { get; set; }
        public bool Label { get; set; }
    }

    public sealed class Scored
    {
        public float[] Scaled { get; set; } = Array.Empty<float>();
        public float Score { get; set; }
        public float Probability { get; set; }
    }

    public static readonly float[] Factors = { 0.5f, -1.25f, 2f, 3.5f, -0.75f, 1f, 0.125f };

    public static List<Row> Rows(int count = 200, int seed = 7)
    {
        var random = new Random(seed);
        var rows = new List<Row>(count);
        for (int i = 0; i < count; i++)
        {
            float x = (float)(random.NextDouble() * 4 - 2);
            float other = (float)(random.NextDouble() * 2 - 1);
            rows.Add(new Row { X = x, Other = other, Label = 1.5 * x - other + random.NextDouble() - 0.5 > 0 });
        }
        return rows;
    }

    /// <summary>The chain used by the tests: Scale → Concatenate → SDCA logistic regression, trained on <see cref="Rows"/>.</summary>
    public static TransformerChain<ITransformer> TrainChain(MLContext mlContext, IDataView data, ScaleTransformer scale)
    {
        IDataView scaled = scale.Transform(data);
        var rest = mlContext.Transforms.Concatenate("Features", "Scaled", "Other")
            .Append(mlContext.BinaryClassification.Trainers.SdcaLogisticRegression(labelColumnName: "Label", maximumNumberOfIterations: 20))
            .Fit(scaled);
        return new TransformerChain<ITransformer>(new ITransformer[] { scale }.Concat(rest).ToArray());
    }

    /// <summary>Every float the tests compare, as exact bit patterns, one line per row.</summary>
    public static List<string> Fingerprint(IDataView output)
    {
        bool scored = output.Schema.GetColumnOrNull("Score") is not null;
        var lines = new List<string>();
        var columns = new List<DataViewSchema.Column> { output.Schema["Scaled"] };
        if (scored) columns.AddRange(new[] { output.Schema["Score"], output.Schema["Probability"] });
        using DataViewRowCursor cursor = output.GetRowCursor(columns);
        var scaledGetter = cursor.GetGetter<VBuffer<float>>(output.Schema["Scaled"]);
        ValueGetter<float>? scoreGetter = scored ? cursor.GetGetter<float>(output.Schema["Score"]) : null;
        ValueGetter<float>? probabilityGetter = scored ? cursor.GetGetter<float>(output.Schema["Probability"]) : null;
        VBuffer<float> scaled = default;
        float score = 0, probability = 0;
        while (cursor.MoveNext())
        {
            scaledGetter(ref scaled);
            scoreGetter?.Invoke(ref score);
            probabilityGetter?.Invoke(ref probability);
            lines.Add(string.Join(' ', scaled.DenseValues().Append(score).Append(probability).Select(Bits)));
        }
        return lines;
    }

    public static string Bits(float value) => BitConverter.SingleToInt32Bits(value).ToString("x8");
}
