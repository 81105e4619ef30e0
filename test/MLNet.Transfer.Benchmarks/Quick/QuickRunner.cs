using MLNet.Transfer.Benchmarks.Support;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace MLNet.Transfer.Benchmarks.Quick;

/// <summary>
/// --quick: runs every comparison once in this process and prints one markdown table (or, with --json, one JSON
/// object per row with keys Name, Ours, Reference, Unit, Ratio). Progress and notes go to stderr.
/// </summary>
internal static class QuickRunner
{
    private static readonly JsonSerializerOptions Json = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public static int Run(QuickOptions options)
    {
        var log = Console.Error;
        var selected = Comparisons.All()
            .Where(c => options.Filters.Count == 0
                ? options.Long || !c.IsLong
                : options.Filters.Any(f => c.Name.Contains(f, StringComparison.OrdinalIgnoreCase)))
            .ToList();
        if (selected.Count == 0)
        {
            log.WriteLine($"No comparison matches {string.Join(", ", options.Filters)}. Known: {string.Join(", ", Comparisons.All().Select(c => c.Name))}.");
            return 2;
        }

        var total = Stopwatch.StartNew();
        using var context = new BenchContext(options.Threads, options.Measure, log);
        log.WriteLine($"Quick comparisons: {selected.Count}, {options.Threads} threads (LibTorch and ONNX Runtime), " +
                      $"~{options.Measure.SecondsPerSide:G3} s per side per cell in up to {options.Measure.Rounds} alternating rounds, " +
                      $"reporting the {options.Measure.Statistic} round.");
        log.WriteLine($"Text: {context.Corpus.Source}{(context.Corpus.IsReal ? "" : " (../shared/data not found)")}");

        double peak = MatmulPeak.MeasureGflops(options.Threads);
        log.WriteLine($"Load check: fp32 matmul peak now {peak:F0} GFLOP/s (~95 per core on an idle 2-core EPYC).");
        if (options.Threads > 1 && peak < 75 * options.Threads)
            log.WriteLine("  warning: other processes share the cores. LibTorch's OpenMP threads spin-wait for each other, so with " +
                          "more threads than free cores our small-batch rows can be 10-100x too low; rerun when idle or with --threads 1.");
        var rows = new List<ComparisonResult>();
        int failures = 0;
        foreach (var comparison in selected)
        {
            log.WriteLine($"[{total.Elapsed:mm\\:ss}] {comparison.Name}");
            try
            {
                foreach (var row in comparison.Run(context))
                {
                    rows.Add(row);
                    log.WriteLine($"  {row.Name}: ours {Format(row.Ours)} vs {Format(row.Reference)} {row.Unit} = {row.Ratio:F2}×{(row.LowerIsBetter ? " (lower is better: reference / ours)" : "")}");
                }
            }
            catch (Exception e)
            {
                failures++;
                log.WriteLine($"  FAILED: {e.GetType().Name}: {e.Message}");
                if (options.Verbose) log.WriteLine(e);
            }
        }
        log.WriteLine($"Done in {total.Elapsed:mm\\:ss}; matmul peak now {MatmulPeak.MeasureGflops(options.Threads):F0} GFLOP/s.");

        if (options.Json)
        {
            foreach (var row in rows)
                Console.WriteLine(JsonSerializer.Serialize(new JsonRow(row.Name, Round(row.Ours), Round(row.Reference), row.Unit, Math.Round(row.Ratio, 3)), Json));
        }
        else
        {
            Console.WriteLine("| Name | Ours | Reference | Unit | Ratio |");
            Console.WriteLine("|---|---:|---:|---|---:|");
            foreach (var row in rows)
                Console.WriteLine($"| {row.Name} | {Format(row.Ours)} | {Format(row.Reference)} | {row.Unit} | {row.Ratio.ToString("F2", CultureInfo.InvariantCulture)} |");
        }
        if (context.Notes.Count > 0)
        {
            log.WriteLine("Notes:");
            foreach (string note in context.Notes) log.WriteLine($"- {note}");
        }
        return failures == 0 ? 0 : 1;
    }

    private static double Round(double value) => Math.Round(value, value >= 100 ? 1 : 3);

    private static string Format(double value) =>
        value.ToString(value >= 1000 ? "N0" : value >= 10 ? "F1" : "F2", CultureInfo.InvariantCulture);

    private sealed record JsonRow(string Name, double Ours, double Reference, string Unit, double Ratio);
}

/// <summary>Command-line options of --quick.</summary>
internal sealed record QuickOptions(bool Json, int Threads, MeasureSettings Measure, IReadOnlyList<string> Filters, bool Verbose, bool Long = false);
