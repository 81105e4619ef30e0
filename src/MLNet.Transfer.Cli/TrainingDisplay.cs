using MLNet.Transfer.Training;
using Spectre.Console;

namespace MLNet.Transfer.Cli;

/// <summary>Live training progress: a Spectre.Console bar on a terminal, plain lines when output is redirected.</summary>
public static class TrainingDisplay
{
    /// <summary>Runs <paramref name="train"/>, showing the reports it sends to the given progress sink.</summary>
    public static T Run<T>(Func<IProgress<TrainingProgress>, T> train)
    {
        if (Console.IsOutputRedirected || !AnsiConsole.Profile.Capabilities.Interactive)
            return train(new PlainProgress());
        T result = default!;
        AnsiConsole.Progress().AutoClear(false).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask("fine-tuning");
                result = train(new SyncProgress(p =>
                {
                    task.MaxValue = p.TotalSteps;
                    task.Value = p.Step;
                    task.Description = $"epoch {p.Epoch}/{p.Epochs} loss {p.Loss:F4} lr {p.LearningRate:G3} {p.TokensPerSecond:F0} tok/s";
                    if (p.Validation is { } v) AnsiConsole.MarkupLine(Markup.Escape($"  step {p.Step}: validation {Format(v)}"));
                }));
            });
        return result;
    }

    private static string Format(IReadOnlyDictionary<string, double> metrics) => string.Join(", ", metrics.Select(kv => $"{kv.Key} {kv.Value:F4}"));

    /// <summary>Plain lines: about 20 per run plus every validation.</summary>
    private sealed class PlainProgress : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress p)
        {
            int every = Math.Max(1, p.TotalSteps / 20);
            if (p.Step % every == 0 || p.Step == p.TotalSteps || p.Validation is not null)
                Console.WriteLine($"epoch {p.Epoch}/{p.Epochs} step {p.Step}/{p.TotalSteps} loss {p.Loss:F4} lr {p.LearningRate:G3} {p.TokensPerSecond:F0} tok/s eta {p.Eta:mm\\:ss}"
                                  + (p.Validation is { } v ? $" | validation {Format(v)}" : ""));
        }
    }

    private sealed class SyncProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
