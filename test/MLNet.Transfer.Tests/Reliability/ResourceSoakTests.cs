using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transfer.Tests.MLNetIntegration;

namespace MLNet.Transfer.Tests.Reliability;

/// <summary>
/// 100,000 rows through a saved-and-loaded model (embeddings + fine-tuned classifier, so 100,000 embeddings and
/// 100,000 predictions) in one process: after a 10,000-row warm-up, managed memory, native RSS and the number of
/// live tensors stay flat.
/// </summary>
[Category("Reliability")]
public class ResourceSoakTests
{
    private const int Rows = 100_000, Every = 10_000;

    [Test]
    public void HundredThousandPredictionsKeepMemoryAndTensorCountFlat()
    {
        using var temp = TestModels.TempDir();
        var (mlContext, model) = TinyPipelines.SaveAndLoadChain(Path.Combine(temp.Path, "chain.zip"));
        IDataView input = mlContext.Data.LoadFromEnumerable(Texts());
        IDataView scored = model.Transform(input);
        var features = scored.Schema["Features"];
        var score = scored.Schema["Score"];

        var snapshots = new List<MemorySnapshot> { MemorySnapshot.Take() };
        var clock = Stopwatch.StartNew();
        double checksum = 0;
        int rows = 0;
        using (var cursor = scored.GetRowCursor([features, score]))
        {
            var getFeatures = cursor.GetGetter<VBuffer<float>>(features);
            var getScore = cursor.GetGetter<float>(score);
            VBuffer<float> vector = default;
            float value = 0;
            while (cursor.MoveNext())
            {
                getFeatures(ref vector);
                getScore(ref value);
                if (vector.Length != 32 || !float.IsFinite(value)) Assert.Fail($"row {rows}: {vector.Length} features, score {value}");
                checksum += value + vector.GetValues()[0];
                if (++rows % Every == 0) snapshots.Add(MemorySnapshot.Take());
            }
        }
        double seconds = clock.Elapsed.TotalSeconds;

        for (int i = 0; i < snapshots.Count; i++) TestContext.Out.WriteLine($"{i * Every,7:N0} rows: {snapshots[i]}");
        TestContext.Out.WriteLine($"{rows:N0} rows in {seconds:F1} s ({rows / seconds:F0} rows/s), checksum {checksum:F3}");
        Assert.That(rows, Is.EqualTo(Rows));
        MemorySnapshot warm = snapshots[1], last = snapshots[^1];
        Assert.That(last.ManagedBytes, Is.LessThanOrEqualTo(warm.ManagedBytes * 1.10), "managed heap grew");
        Assert.That(last.ResidentBytes, Is.LessThanOrEqualTo(warm.ResidentBytes * 1.10), "native RSS grew");
        Assert.That(last.LiveTensors, Is.LessThanOrEqualTo(warm.LiveTensors), "tensors are left undisposed");
        Assert.That(last.ThreadLiveTensors, Is.LessThanOrEqualTo(warm.ThreadLiveTensors), "tensors created on this thread are left undisposed");
    }

    /// <summary>100,000 different short texts, generated lazily (ML.NET enumerates them twice).</summary>
    private static IEnumerable<TextRow> Texts()
    {
        var random = new Random(5);
        for (int i = 0; i < Rows; i++)
            yield return new TextRow { Text = i % 10 == 0 ? RandomUnicodeText.Next(random, 400) : $"review {i}: {(i % 3 == 0 ? "great" : "awful")} food, {RandomUnicodeText.Next(random, 60)}" };
    }
}
