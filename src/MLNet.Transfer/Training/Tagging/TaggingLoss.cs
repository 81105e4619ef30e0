using MLNet.Transfer.Models.Tagging;
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
    public static Tensor Compute(TaggingModel model, Tensor emissions, IReadOnlyList<int[]> tags)
    {
        using var scope = NewDisposeScope();
        if (model.Crf is { } crf)
            return crf.LogLikelihood(emissions, tags).mean().neg().MoveToOuterDisposeScope();
        int width = (int)emissions.shape[1], classes = (int)emissions.shape[2];
        var rows = new List<long>();
        var targets = new List<long>();
        for (int b = 0; b < tags.Count; b++)
            for (int w = 0; w < tags[b].Length; w++) { rows.Add((long)b * width + w); targets.Add(tags[b][w]); }
        var device = emissions.device;
        var selected = emissions.reshape(-1, classes).index_select(0, tensor(rows.ToArray(), device: device));
        return nn.functional.cross_entropy(selected, tensor(targets.ToArray(), device: device)).MoveToOuterDisposeScope();
    }
}
