using System.Globalization;
using MLNet.Transfer.Benchmarks.Bdn;
using MLNet.Transfer.Benchmarks.Profiling;
using MLNet.Transfer.Benchmarks.Quick;
using MLNet.Transfer.Benchmarks.Support;

namespace MLNet.Transfer.Benchmarks;

/// <summary>
/// Entry point. --quick [--json] runs the ratio comparisons; --profile breaks one embedding call into its parts;
/// anything else (or --bdn) hands the remaining arguments to BenchmarkDotNet.
/// </summary>
internal static class Program
{
    private const string Usage = """
        MLNet.Transfer benchmarks
          --quick [--json] [--filter TEXT[,TEXT]] [--threads N] [--seconds S] [--rounds N] [--median] [--long] [--verbose]
              every comparison once, same inputs and threads for ours and the reference; one markdown table
              (Name | Ours | Reference | Unit | Ratio, ratio > 1 = ours better) or one JSON object per row;
              --long adds the comparisons that take minutes (streaming 100k rows), which --filter can also name
          --profile [--threads N]   where one embedding call spends its time (batch 1 and 32, ~40 tokens)
          --profile-training [--threads N]   where one fine-tuning step spends its time (short and 64-token texts, fp32 and bf16)
          --profile-training-ops [--threads N] [--json]   the fp32 finetune row's step (32 × 64 tokens) op by op: each GEMM's
              GFLOP/s vs the matmul peak, elementwise work, a modelled step vs the measured one, alternatives
          --int8-accuracy [--threads N]   accuracy cost of InferenceEngine.OnnxRuntimeInt8 (MiniLM vectors, a UCI classifier)
          --bdn [BenchmarkDotNet arguments]   BenchmarkDotNet classes (in-process toolchain), e.g. --bdn --filter '*'
        """;

    private static int Main(string[] args)
    {
        var list = args.ToList();
        if (list.Remove("--help") || list.Remove("-h"))
        {
            Console.WriteLine(Usage);
            return 0;
        }
        try
        {
            if (list.Remove(CpuBurner.Argument)) return CpuBurner.Burn();
            if (list.IndexOf(MemoryProbe.Argument) is int probe and >= 0) return MemoryProbe.Run(list[probe + 1], TakeInt(list, "--threads") ?? 2);
            if (list.Remove("--quick")) return QuickRunner.Run(ParseQuick(list));
            if (list.Remove("--int8-accuracy")) return Int8Accuracy.Run(TakeInt(list, "--threads") ?? 2);
            if (list.Remove("--profile")) return InferenceProfile.Run(TakeInt(list, "--threads") ?? 2);
            if (list.Remove("--profile-training-ops")) return TrainingOpsProfile.Run(TakeInt(list, "--threads") ?? 2, list.Remove("--json"));
            if (list.Remove("--profile-training")) return TrainingProfile.Run(TakeInt(list, "--threads") ?? 2);
            list.Remove("--bdn");
            return BdnRunner.Run([.. list]);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine(e.Message);
            Console.Error.WriteLine(Usage);
            return 2;
        }
    }

    private static QuickOptions ParseQuick(List<string> args)
    {
        bool json = args.Remove("--json"), median = args.Remove("--median"), verbose = args.Remove("--verbose"), runLong = args.Remove("--long");
        int threads = TakeInt(args, "--threads") ?? 2;
        double seconds = Take(args, "--seconds") is { } s ? double.Parse(s, CultureInfo.InvariantCulture) : 1.25;
        int rounds = TakeInt(args, "--rounds") ?? 5;
        var filters = new List<string>();
        while (Take(args, "--filter") is { } f) filters.AddRange(f.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        if (args.Count > 0) throw new ArgumentException($"Unknown argument(s): {string.Join(' ', args)}");
        if (threads < 1 || seconds <= 0 || rounds < 2) throw new ArgumentException("--threads ≥ 1, --seconds > 0 and --rounds ≥ 2 are required.");
        return new QuickOptions(json, threads, new MeasureSettings(seconds, rounds, median), filters, verbose, runLong);
    }

    private static string? Take(List<string> args, string name)
    {
        int i = args.IndexOf(name);
        if (i < 0) return null;
        if (i + 1 >= args.Count) throw new ArgumentException($"{name} needs a value.");
        string value = args[i + 1];
        args.RemoveRange(i, 2);
        return value;
    }

    private static int? TakeInt(List<string> args, string name) =>
        Take(args, name) is { } value ? int.Parse(value, CultureInfo.InvariantCulture) : null;
}
