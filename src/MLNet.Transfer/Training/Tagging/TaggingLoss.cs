using MLNet.Transfer.Models.Tagging;
using MLNet.Transfer.Training.SemiSupervised;
using static TorchSharp.torch;

namespace MLNet.Transfer.Training.Tagging;

/// <summary>The tagging loss over a batch of windows: labels live on each owned word's first piece only.</summary>
public static class TaggingLoss
{
    /// <summary>
    /// Linear head: mean cross-entropy over the owned words of the batch; CRF head: mean negative log-likelihood of the gold
    /// paths. <paramref name="emissions"/> is [windows, most owned words, tags]; <paramref name="tags"/> gives each window's
    /// owned words' tag indices (rows padded beyond them are ignored).
    /// </summary>
    /// <param name="model">The tagger (its head decides the loss).</param>
    /// <param name="emissions">The batch's tag scores.</param>
    /// <param name="tags">Each window's owned words' tag indices.</param>
    /// <param name="annealingThreshold">
    /// Training-signal annealing (UDA, <see cref="SemiSupervised.TrainingSignalAnnealing"/>), linear head only: a word whose
    /// correct tag already has more than this probability leaves the loss this step (the mean is over the words left; 0 when
    /// none is). 1 = every word counts. The CRF's loss is one likelihood per sentence path, which a left-out word would
    /// break, so a CRF head ignores it.
    /// </param>
    public static Tensor Compute(TaggingModel model, Tensor emissions, IReadOnlyList<int[]> tags, double annealingThreshold = 1)
    {
        using var scope = NewDisposeScope();
        if (model.Crf is { } crf)
            return crf.LogLikelihood(emissions, tags).mean().neg().MoveToOuterDisposeScope();
        var words = tags.SelectMany((t, b) => t.Select((_, w) => (b, w))).ToArray();
        var selected = WordRows(emissions, words);
        float[]?[] targets = [.. words.Select(p => new float[] { tags[p.b][p.w] })];
        if (annealingThreshold < 1) targets = ConsistencyLoss.Anneal(TaskKind.Multiclass, selected, targets, annealingThreshold);
        var kept = Enumerable.Range(0, targets.Length).Where(i => targets[i] is not null).ToArray();
        if (kept.Length == 0) return (selected.sum() * 0).MoveToOuterDisposeScope(); // every word annealed away: no signal, graph intact
        var device = emissions.device;
        if (kept.Length < targets.Length) selected = selected.index_select(0, tensor(kept.Select(i => (long)i).ToArray(), device: device));
        return nn.functional.cross_entropy(selected, tensor(kept.Select(i => (long)targets[i]![0]).ToArray(), device: device)).MoveToOuterDisposeScope();
    }

    /// <summary>The rows [words.Count, tags] of <paramref name="emissions"/> [windows, most owned words, tags] for the given (window, word) pairs.</summary>
    internal static Tensor WordRows(Tensor emissions, IReadOnlyList<(int Window, int Word)> words)
    {
        long width = emissions.shape[1], classes = emissions.shape[2];
        var rows = words.Select(p => p.Window * width + p.Word).ToArray();
        return emissions.reshape(-1, classes).index_select(0, tensor(rows, device: emissions.device));
    }
}
