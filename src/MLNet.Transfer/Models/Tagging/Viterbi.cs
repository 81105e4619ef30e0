namespace MLNet.Transfer.Models.Tagging;

/// <summary>
/// Viterbi decoding of a linear-chain CRF in plain arithmetic: the highest-scoring tag path for one sequence's emissions,
/// optionally restricted to allowed transitions (forbidden ones are never decoded).
/// </summary>
public static class Viterbi
{
    /// <summary>The best path and its score.</summary>
    /// <param name="emissions">[words][tags] scores (at least one word).</param>
    /// <param name="start">Start scores [tags].</param>
    /// <param name="end">End scores [tags].</param>
    /// <param name="transitions">Transition scores [from, to].</param>
    /// <param name="allowedTransitions">Optional [from, to] mask; false = forbidden.</param>
    /// <param name="allowedStarts">Optional [tags] mask of tags a sequence may start with.</param>
    /// <returns>The path, and its score (−∞ only if the constraints allow no path at all, in which case the unconstrained best path is returned).</returns>
    public static (int[] Path, double Score) Decode(float[][] emissions, float[] start, float[] end, float[,] transitions,
                                                    bool[,]? allowedTransitions = null, bool[]? allowedStarts = null)
    {
        int words = emissions.Length, tags = start.Length;
        if (words == 0) return ([], 0);
        var score = new double[tags];
        var back = new int[words, tags];
        for (int j = 0; j < tags; j++)
            score[j] = allowedStarts is null || allowedStarts[j] ? start[j] + emissions[0][j] : double.NegativeInfinity;
        var next = new double[tags];
        for (int t = 1; t < words; t++)
        {
            for (int j = 0; j < tags; j++)
            {
                double best = double.NegativeInfinity;
                int arg = 0;
                for (int i = 0; i < tags; i++)
                {
                    if (allowedTransitions is not null && !allowedTransitions[i, j]) continue;
                    double s = score[i] + transitions[i, j];
                    if (s > best) (best, arg) = (s, i);
                }
                next[j] = best + emissions[t][j];
                back[t, j] = arg;
            }
            (score, next) = (next, score);
        }
        int last = 0;
        double total = double.NegativeInfinity;
        for (int j = 0; j < tags; j++)
            if (score[j] + end[j] > total) (total, last) = (score[j] + end[j], j);
        if (double.IsNegativeInfinity(total) && (allowedTransitions is not null || allowedStarts is not null))
            return Decode(emissions, start, end, transitions);
        var path = new int[words];
        path[^1] = last;
        for (int t = words - 1; t > 0; t--) path[t - 1] = back[t, path[t]];
        return (path, total);
    }
}
