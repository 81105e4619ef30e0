using System.Diagnostics;
using Microsoft.ML;
using MLNet.Transfer.MLNetIntegration;

namespace MLNet.Transfer.Tests.MLNetIntegration;

/// <summary>A weights-sized payload streams through the zip without being held in memory (prints time and memory).</summary>
[Category("Unit")]
public class LargePayloadTests
{
    [Test]
    public void LargePayloadStreamsThroughTheZipWithoutBeingHeldInMemory()
    {
        const long payload = 64L << 20; // MiniLM's weights are ~90 MB
        using var temp = new TempDirectory();
        var mlContext = new MLContext(seed: 1);
        IDataView data = mlContext.Data.LoadFromEnumerable(SyntheticData.Rows(5));
        string path = temp.File("large.zip");
        var scale = new ScaleTransformer("X", "Scaled", SyntheticData.Factors, ballastBytes: payload);

        (TimeSpan saveTime, long saveAllocated, long saveGrowth) = Measure(() => mlContext.Model.Save(scale, data.Schema, path));
        var fresh = new MLContext(seed: 2);
        TransferComponents.Register(fresh, typeof(ScaleTransformer).Assembly);
        ITransformer? loaded = null;
        (TimeSpan loadTime, long loadAllocated, long loadGrowth) = Measure(() => loaded = fresh.Model.Load(path, out _));

        TestContext.Out.WriteLine($"payload {payload >> 20} MB, zip {new FileInfo(path).Length >> 20} MB");
        TestContext.Out.WriteLine($"save: {saveTime.TotalSeconds:F1} s, allocated {saveAllocated >> 20} MB, working set +{saveGrowth >> 20} MB");
        TestContext.Out.WriteLine($"load: {loadTime.TotalSeconds:F1} s, allocated {loadAllocated >> 20} MB, working set +{loadGrowth >> 20} MB");
        Assert.That(((ScaleTransformer)loaded!).BallastBytes, Is.EqualTo(payload));
        Assert.That(saveAllocated, Is.LessThan(payload / 4));
        Assert.That(loadAllocated, Is.LessThan(payload / 4));
    }

    private static (TimeSpan Time, long Allocated, long WorkingSetGrowth) Measure(Action action)
    {
        GC.Collect();
        long startSet = Environment.WorkingSet;
        long peak = startSet;
        using var stop = new CancellationTokenSource();
        Task sampler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                peak = Math.Max(peak, Environment.WorkingSet);
                await Task.Delay(20);
            }
        });
        long allocated = GC.GetTotalAllocatedBytes(precise: true);
        var watch = Stopwatch.StartNew();
        action();
        watch.Stop();
        allocated = GC.GetTotalAllocatedBytes(precise: true) - allocated;
        stop.Cancel();
        sampler.Wait();
        return (watch.Elapsed, allocated, peak - startSet);
    }
}
