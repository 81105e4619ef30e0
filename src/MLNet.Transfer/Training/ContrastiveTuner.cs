using MLNet.Transfer.Models;
using MLNet.Transfer.Text;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transfer.Training;

/// <summary>Hyperparameters of contrastive (SetFit-style) encoder tuning; defaults follow SetFit (Tunstall et al. 2022).</summary>
public sealed record ContrastiveSettings
{
    /// <summary>Peak learning rate. Default 2e-5.</summary>
    public double LearningRate { get; init; } = 2e-5;
    /// <summary>Pair-generation rounds: each round pairs every example with one same-class and one other-class example. Default 20.</summary>
    public int Iterations { get; init; } = 20;
    /// <summary>Upper bound on the pairs drawn (keeps larger samples affordable on a CPU). Default 2,000.</summary>
    public int MaxPairs { get; init; } = 2000;
    /// <summary>Pairs per optimisation step. Default 16.</summary>
    public int BatchSize { get; init; } = 16;
    /// <summary>Pooling of the token states into the sentence vector being tuned. Default mean.</summary>
    public PoolingMode Pooling { get; init; } = PoolingMode.Mean;
    /// <summary>AdamW weight decay. Default 0.01.</summary>
    public double WeightDecay { get; init; } = 0.01;
    /// <summary>Seed for pairs, order and dropout. Default 42.</summary>
    public int Seed { get; init; } = 42;
    /// <summary>Gradient-norm clipping bound (0 = no clipping). Default 1.0.</summary>
    public double MaxGradNorm { get; init; } = 1.0;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first bad value.</summary>
    public ContrastiveSettings Validate()
    {
        if (!(LearningRate > 0 && double.IsFinite(LearningRate))) throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, $"LearningRate must be a positive number; got {LearningRate}.");
        if (Iterations < 1) throw new ArgumentOutOfRangeException(nameof(Iterations), Iterations, $"Iterations must be at least 1; got {Iterations}.");
        if (MaxPairs < 1) throw new ArgumentOutOfRangeException(nameof(MaxPairs), MaxPairs, $"MaxPairs must be at least 1; got {MaxPairs}.");
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, $"BatchSize must be at least 1; got {BatchSize}.");
        if (!(MaxGradNorm >= 0 && double.IsFinite(MaxGradNorm))) throw new ArgumentOutOfRangeException(nameof(MaxGradNorm), MaxGradNorm, $"MaxGradNorm must be a number of at least 0; got {MaxGradNorm}.");
        return this;
    }
}

/// <summary>A pair of example indices and the target cosine similarity (1 = same class, 0 = different).</summary>
public readonly record struct ContrastivePair(int First, int Second, float Target);

/// <summary>
/// SetFit's first stage: tunes a sentence encoder so that texts of the same class get close embeddings and texts of
/// different classes distant ones (cosine-similarity loss on generated pairs). A classifier on the tuned embeddings is
/// then the second stage (any ML.NET trainer). Strong when only a handful of labels per class exist.
/// </summary>
public static class ContrastiveTuner
{
    /// <summary>SetFit's pairs: per round, every example with a random same-class partner (1) and a random other-class partner (0).</summary>
    public static List<ContrastivePair> Pairs(IReadOnlyList<int> labels, int iterations, int maxPairs, int seed)
    {
        var random = new Random(seed);
        var byClass = labels.Select((l, i) => (l, i)).GroupBy(p => p.l).ToDictionary(g => g.Key, g => g.Select(p => p.i).ToArray());
        if (byClass.Count < 2) throw new ArgumentException($"Contrastive tuning needs at least two classes; all {labels.Count} examples have label {labels.FirstOrDefault()}.");
        var others = byClass.Keys.ToDictionary(c => c, c => byClass.Where(p => p.Key != c).SelectMany(p => p.Value).ToArray());
        var pairs = new List<ContrastivePair>();
        for (int round = 0; round < iterations; round++)
            for (int i = 0; i < labels.Count; i++)
            {
                var same = byClass[labels[i]];
                pairs.Add(new ContrastivePair(i, same[random.Next(same.Length)], 1));
                var other = others[labels[i]];
                pairs.Add(new ContrastivePair(i, other[random.Next(other.Length)], 0));
            }
        var shuffled = pairs.ToArray();
        random.Shuffle(shuffled);
        return shuffled.Take(maxPairs).ToList();
    }

    /// <summary>
    /// Tunes <paramref name="encoder"/> in place on <paramref name="texts"/> with class <paramref name="labels"/>; one pass over
    /// the pairs with linear warm-up (10%) and decay. Returns the mean loss of the last 20 steps.
    /// </summary>
    public static double Train(TextEncoder encoder, IReadOnlyList<EncodedText> texts, IReadOnlyList<int> labels, ContrastiveSettings settings, int padId,
                               IProgress<TrainingProgress>? progress = null, CancellationToken cancellation = default)
    {
        settings.Validate();
        if (texts.Count != labels.Count) throw new ArgumentException($"{texts.Count} texts but {labels.Count} labels.");
        var pairs = Pairs(labels, settings.Iterations, settings.MaxPairs, settings.Seed);
        var groups = ParameterGroups.Build(encoder, encoder.LayerCount, settings.LearningRate, 1.0, settings.WeightDecay);
        using var optimizer = new ScalarSafeAdamW(groups, settings.LearningRate);
        int steps = (pairs.Count + settings.BatchSize - 1) / settings.BatchSize;
        var loop = new TrainingLoop(encoder, optimizer, groups, new TrainingLoopPlan
        {
            TotalSteps = steps, StepsPerEpoch = steps, Epochs = 1, Schedule = ScheduleKind.LinearWarmupDecay, WarmupFraction = 0.1,
            EpochBatches = _ => [.. Enumerable.Range(0, pairs.Count).Chunk(settings.BatchSize)],
            Step = (rows, step) =>
            {
                var batch = rows.Select(i => pairs[i]).ToArray();
                return (Step(encoder, optimizer, texts, batch, settings, padId, step), batch.Sum(p => (long)texts[p.First].Length + texts[p.Second].Length));
            },
        });
        loop.ResumeOrSeed("", settings.Seed);
        return loop.Run(progress, cancellation).RecentLoss;
    }

    private static double Step(TextEncoder encoder, OptimizerHelper optimizer, IReadOnlyList<EncodedText> texts, ContrastivePair[] batch,
                               ContrastiveSettings settings, int padId, int step)
    {
        using var scope = NewDisposeScope();
        var device = encoder.Device;
        Tensor Embed(Func<ContrastivePair, int> pick)
        {
            using var tokens = TokenBatch.Create(batch.Select(p => texts[pick(p)]).ToArray(), padId, device);
            var states = encoder.Forward(tokens.InputIds, tokens.TokenTypeIds, tokens.AttentionMask);
            return Pooling.Pool(states[^1], tokens.AttentionMask, settings.Pooling);
        }
        var similarity = nn.functional.cosine_similarity(Embed(p => p.First), Embed(p => p.Second), dim: 1);
        var loss = nn.functional.mse_loss(similarity, tensor(batch.Select(p => p.Target).ToArray(), device: device));
        return GuardedStep.Run(loss, optimizer, encoder, settings.MaxGradNorm, step, "Contrastive tuning", "Lower the learning rate.", "Lower the learning rate.");
    }
}
