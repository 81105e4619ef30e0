using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transfer.Models.Tagging;

/// <summary>
/// A linear-chain conditional random field over per-word emission scores (Lafferty et al. 2001; the BiLSTM-CRF tagger of
/// Huang et al. 2015 / Lample et al. 2016): learned start, end and tag-to-tag transition scores. Training maximises the
/// log-likelihood of the gold path (forward algorithm, batched in TorchSharp); decoding is Viterbi, optionally constrained
/// to valid transitions (see <see cref="TagConstraints"/>). Parameter names follow pytorch-crf.
/// </summary>
public sealed class ConditionalRandomField : nn.Module
{
#pragma warning disable IDE1006 // field names are the checkpoint keys
    private readonly Parameter start_transitions;
    private readonly Parameter end_transitions;
    private readonly Parameter transitions;
#pragma warning restore IDE1006

    /// <summary>A CRF over <paramref name="tags"/> tags, parameters drawn from U(−0.1, 0.1).</summary>
    public ConditionalRandomField(int tags) : base(nameof(ConditionalRandomField))
    {
        if (tags < 1) throw new ArgumentOutOfRangeException(nameof(tags), tags, "A CRF needs at least one tag.");
        Tags = tags;
        start_transitions = new Parameter(empty(tags));
        end_transitions = new Parameter(empty(tags));
        transitions = new Parameter(empty(tags, tags));
        RegisterComponents();
        using var _ = no_grad();
        foreach (var p in new[] { start_transitions, end_transitions, transitions }) nn.init.uniform_(p, -0.1, 0.1);
    }

    /// <summary>Number of tags.</summary>
    public int Tags { get; }

    /// <summary>
    /// Log-likelihood log p(gold | emissions) of each sequence, [batch]: gold path score minus the log partition function.
    /// </summary>
    /// <param name="emissions">[batch, words, tags] scores.</param>
    /// <param name="gold">Gold tag indices per sequence (length = that sequence's word count, at least 1).</param>
    public Tensor LogLikelihood(Tensor emissions, IReadOnlyList<int[]> gold)
    {
        using var scope = NewDisposeScope();
        int batch = (int)emissions.shape[0], width = (int)emissions.shape[1];
        if (gold.Count != batch) throw new ArgumentException($"{gold.Count} gold sequences for a batch of {batch}.", nameof(gold));
        var device = emissions.device;
        var tagIndex = new long[batch * width];
        var maskValues = new float[batch * width];
        var pairIndex = new long[batch * Math.Max(width - 1, 1)];
        var starts = new long[batch];
        var ends = new long[batch];
        for (int b = 0; b < batch; b++)
        {
            var y = gold[b];
            if (y.Length < 1 || y.Length > width) throw new ArgumentException($"Gold sequence {b} has {y.Length} tags; expected 1 to {width}.", nameof(gold));
            for (int t = 0; t < y.Length; t++)
            {
                if ((uint)y[t] >= (uint)Tags) throw new ArgumentOutOfRangeException(nameof(gold), y[t], $"Tag index must be in [0, {Tags}).");
                tagIndex[b * width + t] = y[t];
                maskValues[b * width + t] = 1;
                if (t > 0) pairIndex[b * (width - 1) + t - 1] = (long)y[t - 1] * Tags + y[t];
            }
            starts[b] = y[0];
            ends[b] = y[^1];
        }
        var mask = tensor(maskValues, [batch, width], device: device);
        var tagTensor = tensor(tagIndex, [batch, width], device: device);

        // Score of the gold path.
        var emitted = emissions.gather(2, tagTensor.unsqueeze(2)).squeeze(2).mul(mask).sum(1);
        var score = emitted.Plus(start_transitions.index_select(0, tensor(starts, device: device)))
                           .Plus(end_transitions.index_select(0, tensor(ends, device: device)));
        if (width > 1)
        {
            var pairs = transitions.view(-1).index_select(0, tensor(pairIndex, device: device)).view(batch, width - 1);
            score = score.Plus(pairs.mul(mask.narrow(1, 1, width - 1)).sum(1));
        }

        // Log partition function (forward algorithm); positions past a sequence's end keep its alpha.
        var alpha = start_transitions.unsqueeze(0).Plus(emissions.select(1, 0));
        var transitionRow = transitions.unsqueeze(0);
        var active = tensor(maskValues.Select(m => m > 0).ToArray(), [batch, width], device: device);
        for (int t = 1; t < width; t++)
        {
            var next = alpha.unsqueeze(2).Plus(transitionRow).logsumexp(1).Plus(emissions.select(1, t));
            alpha = where(active.select(1, t).unsqueeze(1), next, alpha);
        }
        var logPartition = alpha.Plus(end_transitions.unsqueeze(0)).logsumexp(1);
        return score.sub(logPartition).MoveToOuterDisposeScope();
    }

    /// <summary>The learned scores as arrays: start [tags], end [tags], transitions [from, to].</summary>
    public (float[] Start, float[] End, float[,] Transitions) Scores()
    {
        using var _ = no_grad();
        return Scores(start_transitions.detach().cpu().data<float>().ToArray(), end_transitions.detach().cpu().data<float>().ToArray(),
                      transitions.detach().cpu().data<float>().ToArray());
    }

    /// <summary>
    /// <see cref="Scores()"/> of a CRF whose parameters are <paramref name="start"/>, <paramref name="end"/> and the
    /// row-major <paramref name="transitions"/> (e.g. read from a weight file without building the module).
    /// </summary>
    public static (float[] Start, float[] End, float[,] Transitions) Scores(float[] start, float[] end, float[] transitions)
    {
        int tags = start.Length;
        if (end.Length != tags || transitions.Length != tags * tags)
            throw new ArgumentException($"CRF scores of {tags} tags need {tags} end scores and {tags}×{tags} transitions (got {end.Length} and {transitions.Length}).");
        var matrix = new float[tags, tags];
        Buffer.BlockCopy(transitions, 0, matrix, 0, transitions.Length * sizeof(float));
        return (start, end, matrix);
    }
}
