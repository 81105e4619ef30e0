using System.Globalization;
using MLNet.Transfer.Benchmarks.Quick;
using MLNet.Transfer.Benchmarks.Support;

namespace MLNet.Transfer.Benchmarks.Comparisons;

/// <summary>
/// embed-2000-sentences-rss-vs-ort: peak resident memory (VmHWM, MB, lower is better) of a fresh process that embeds the
/// 2,000-sentence corpus on the default engine, against a fresh process doing the same with ONNX Runtime alone on the
/// published model (<see cref="MemoryProbe"/>). Both processes include the .NET runtime and the corpus; ours also exports
/// the encoder to ONNX in memory, straight from its weight file (LibTorch is not loaded). Target: ≤ 1.5× ORT's (Ratio ≥ 0.67).
/// </summary>
internal sealed class InferenceMemoryComparison : IComparison
{
    public string Name => "embed-2000-sentences-rss-vs-ort";

    public IEnumerable<ComparisonResult> Run(BenchContext context)
    {
        double Probe(string side) => double.Parse(
            ChildBenchmark.RunToEnd(MemoryProbe.Argument, side, "--threads", context.Threads.ToString(CultureInfo.InvariantCulture)),
            CultureInfo.InvariantCulture);
        double ours = Probe("ours"), reference = Probe("ort");
        context.Log.WriteLine($"  {Name}: peak RSS ours {ours:F0} MB, ONNX Runtime alone {reference:F0} MB (fresh processes)");
        yield return new ComparisonResult(Name, ours, reference, "MB", LowerIsBetter: true);
    }
}
