using MLNet.Transfer.Models.Tagging;
using static TorchSharp.torch;

namespace MLNet.Transfer.Tests.Tagging;

/// <summary>The CRF layer: Viterbi against brute force, the log-likelihood against explicit path sums, BIO constraints.</summary>
[Category("Unit")]
public class CrfTests
{
    private static readonly string[] BioTags = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"];

    private static IEnumerable<int[]> AllPaths(int words, int tags)
    {
        var path = new int[words];
        while (true)
        {
            yield return (int[])path.Clone();
            int i = words - 1;
            while (i >= 0 && ++path[i] == tags) path[i--] = 0;
            if (i < 0) yield break;
        }
    }

    private static double PathScore(int[] path, float[][] e, float[] start, float[] end, float[,] trans)
    {
        double s = start[path[0]] + end[path[^1]];
        for (int t = 0; t < path.Length; t++) s += e[t][path[t]] + (t > 0 ? trans[path[t - 1], path[t]] : 0);
        return s;
    }

    private static bool Valid(int[] path, bool[,] allowed, bool[] starts)
    {
        if (!starts[path[0]]) return false;
        for (int t = 1; t < path.Length; t++) if (!allowed[path[t - 1], path[t]]) return false;
        return true;
    }

    private static float[][] RandomEmissions(Random r, int words, int tags, double scale = 2) =>
        Enumerable.Range(0, words).Select(_ => Enumerable.Range(0, tags).Select(_ => (float)((r.NextDouble() - 0.5) * 2 * scale)).ToArray()).ToArray();

    [Test]
    public void ViterbiEqualsBruteForceOnTinyCasesWithAndWithoutConstraints()
    {
        var r = new Random(5);
        var allowed = TagConstraints.Transitions(BioTags);
        var starts = TagConstraints.Starts(BioTags);
        int distinctPaths = 0;
        var seen = new HashSet<string>();
        for (int trial = 0; trial < 200; trial++)
        {
            int words = 1 + trial % 4, tags = BioTags.Length;
            var e = RandomEmissions(r, words, tags);
            var start = RandomEmissions(r, 1, tags)[0];
            var end = RandomEmissions(r, 1, tags)[0];
            var trans = new float[tags, tags];
            for (int i = 0; i < tags; i++) for (int j = 0; j < tags; j++) trans[i, j] = (float)(r.NextDouble() * 4 - 2);

            var free = AllPaths(words, tags).MaxBy(p => PathScore(p, e, start, end, trans))!;
            var (path, score) = Viterbi.Decode(e, start, end, trans);
            Assert.That(path, Is.EqualTo(free), $"trial {trial}");
            Assert.That(score, Is.EqualTo(PathScore(free, e, start, end, trans)).Within(1e-4));

            var constrained = AllPaths(words, tags).Where(p => Valid(p, allowed, starts)).MaxBy(p => PathScore(p, e, start, end, trans))!;
            var (cpath, cscore) = Viterbi.Decode(e, start, end, trans, allowed, starts);
            Assert.That(cpath, Is.EqualTo(constrained), $"constrained trial {trial}");
            Assert.That(cscore, Is.EqualTo(PathScore(constrained, e, start, end, trans)).Within(1e-4));
            if (seen.Add(string.Join(",", cpath))) distinctPaths++;
        }
        Assert.That(distinctPaths, Is.GreaterThan(20), "the random cases must give varied answers, else the comparison proves little");
    }

    [Test]
    public void LogLikelihoodMatchesExplicitPathSumsAndTheGoldPathHasLogLikelihoodAtMostZero()
    {
        manual_seed(3);
        const int tags = 3;
        using var crf = new ConditionalRandomField(tags);
        var (start, end, trans) = crf.Scores();
        var r = new Random(11);
        int[] lengths = [1, 2, 4, 3];
        var e = lengths.Select(n => RandomEmissions(r, n, tags)).ToArray();
        int width = lengths.Max();
        var flat = new float[lengths.Length * width * tags];
        for (int b = 0; b < lengths.Length; b++)
            for (int t = 0; t < lengths[b]; t++)
                for (int j = 0; j < tags; j++) flat[(b * width + t) * tags + j] = e[b][t][j];
        // Padding positions hold large junk that must not matter.
        for (int b = 0; b < lengths.Length; b++)
            for (int t = lengths[b]; t < width; t++)
                for (int j = 0; j < tags; j++) flat[(b * width + t) * tags + j] = 50f * (j + 1);
        using var emissions = tensor(flat, [lengths.Length, width, tags]);
        var gold = lengths.Select(n => Enumerable.Range(0, n).Select(t => (t * 2 + n) % tags).ToArray()).ToArray();
        using var ll = crf.LogLikelihood(emissions, gold);
        var values = ll.data<float>().ToArray();
        for (int b = 0; b < lengths.Length; b++)
        {
            var scores = AllPaths(lengths[b], tags).Select(p => PathScore(p, e[b], start, end, trans)).ToArray();
            double max = scores.Max();
            double logZ = max + Math.Log(scores.Sum(s => Math.Exp(s - max)));
            double expected = PathScore(gold[b], e[b], start, end, trans) - logZ;
            Assert.That(values[b], Is.EqualTo(expected).Within(1e-4), $"sequence {b}");
            Assert.That(values[b], Is.LessThanOrEqualTo(0));
        }
        // Probabilities of all paths of one sequence sum to 1.
        double total = AllPaths(3, tags).Sum(p =>
        {
            using var one = tensor(e[3].SelectMany(x => x).ToArray(), [1, 3, tags]);
            using var l = crf.LogLikelihood(one, [p]);
            return Math.Exp(l.item<float>());
        });
        Assert.That(total, Is.EqualTo(1).Within(1e-4));
    }

    [Test]
    public void LogLikelihoodHasGradientsForEveryCrfParameter()
    {
        using var crf = new ConditionalRandomField(4);
        using var emissions = randn(2, 3, 4).requires_grad_(true);
        using var ll = crf.LogLikelihood(emissions, [[0, 1, 2], [3, 3]]);
        using var loss = ll.sum().neg();
        loss.backward();
        Assert.That(crf.parameters().All(p => p.grad is not null && p.grad.abs().sum().item<float>() > 0), Is.True);
        Assert.That(emissions.grad!.abs().sum().item<float>(), Is.GreaterThan(0));
    }

    [Test]
    public void ForbiddenBioTransitionsAreNeverDecodedEvenWhenTheScoresFavourThem()
    {
        var allowed = TagConstraints.Transitions(BioTags);
        var starts = TagConstraints.Starts(BioTags);
        Assert.That(allowed[0, 2], Is.False, "O → I-PER");
        Assert.That(allowed[3, 2], Is.False, "B-LOC → I-PER");
        Assert.That(allowed[1, 2] && allowed[2, 2] && allowed[2, 0] && allowed[0, 3], Is.True);
        Assert.That(starts, Is.EqualTo(new[] { true, true, false, true, false }));

        // Emissions that scream "I-PER" everywhere: unconstrained decoding follows them, constrained decoding cannot start with I-PER.
        var e = Enumerable.Range(0, 4).Select(_ => new float[] { 0, 1, 5, 0, 0 }).ToArray();
        var zeros = new float[5];
        var trans = new float[5, 5];
        Assert.That(Viterbi.Decode(e, zeros, zeros, trans).Path, Is.EqualTo(new[] { 2, 2, 2, 2 }));
        Assert.That(Viterbi.Decode(e, zeros, zeros, trans, allowed, starts).Path, Is.EqualTo(new[] { 1, 2, 2, 2 }));

        var r = new Random(2);
        for (int trial = 0; trial < 300; trial++)
        {
            var em = RandomEmissions(r, 1 + trial % 9, 5, scale: 6);
            var tr = new float[5, 5];
            for (int i = 0; i < 5; i++) for (int j = 0; j < 5; j++) tr[i, j] = (float)(r.NextDouble() * 6 - 3);
            var path = Viterbi.Decode(em, zeros, zeros, tr, allowed, starts).Path;
            Assert.That(Valid(path, allowed, starts), Is.True, $"trial {trial}: {string.Join(" ", path.Select(p => BioTags[p]))}");
        }
    }
}
