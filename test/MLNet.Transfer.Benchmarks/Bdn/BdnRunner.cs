using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using MLNet.Transfer.Benchmarks.Quick;

namespace MLNet.Transfer.Benchmarks.Bdn;

/// <summary>
/// Runs the BenchmarkDotNet classes in this process (in-process emit toolchain: no generated project that would
/// copy LibTorch's natives again), short-run job. Arguments go to <see cref="BenchmarkSwitcher"/>.
/// </summary>
internal static class BdnRunner
{
    public static int Run(string[] args)
    {
        var config = ManualConfig.Create(DefaultConfig.Instance)
            .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance))
            .WithOptions(ConfigOptions.JoinSummary)
            .WithArtifactsPath(Path.Combine(AppContext.BaseDirectory, "BenchmarkDotNet.Artifacts"));
        // Jobs given on the command line (e.g. --job dry) must run in-process too: a generated project has no LibTorch.
        if (!args.Contains("--inProcess", StringComparer.OrdinalIgnoreCase)) args = [.. args, "--inProcess"];
        var summaries = BenchmarkSwitcher.FromAssembly(typeof(BdnRunner).Assembly).Run(args, config);
        return summaries.Any(s => s.HasCriticalValidationErrors) ? 1 : 0;
    }

    /// <summary>One shared context (2 threads) for every benchmark class, loaded on first use.</summary>
    internal static BenchContext Context => LazyContext.Value;

    private static readonly Lazy<BenchContext> LazyContext = new(() => new BenchContext(2, new MeasureSettings(), TextWriter.Null));
}
