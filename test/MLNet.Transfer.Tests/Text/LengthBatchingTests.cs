using MLNet.Transfer.Text;

namespace MLNet.Transfer.Tests.Text;

[Category("Unit")]
public class LengthBatchingTests
{
    private static int[] RandomLengths(int count, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => random.Next(3, 200))];
    }

    private static void AssertEachIndexExactlyOnce(IEnumerable<int[]> batches, int count) =>
        Assert.That(batches.SelectMany(b => b).Order(), Is.EqualTo(Enumerable.Range(0, count)));

    [Test]
    public void BatchesAreSortedLongestFirstStableAndCoverAllIndices()
    {
        int[] lengths = RandomLengths(1003, seed: 1);

        var batches = LengthBatching.Batches(lengths, batchSize: 32).ToList();

        AssertEachIndexExactlyOnce(batches, lengths.Length);
        Assert.That(batches.Select(b => b.Length), Is.EqualTo(Enumerable.Repeat(32, 31).Append(11)));
        int[] order = [.. batches.SelectMany(b => b)];
        for (int i = 1; i < order.Length; i++)
        {
            int previous = lengths[order[i - 1]], current = lengths[order[i]];
            Assert.That(current, Is.LessThanOrEqualTo(previous));
            if (current == previous)
                Assert.That(order[i], Is.GreaterThan(order[i - 1]), "equal lengths keep their original order");
        }
    }

    [Test]
    public void SmallExampleGivesExactGroups()
    {
        int[] lengths = [5, 9, 2, 9, 7];

        var batches = LengthBatching.Batches(lengths, batchSize: 2).ToList();

        Assert.That(batches, Is.EqualTo(new[] { new[] { 1, 3 }, new[] { 4, 0 }, new[] { 2 } }));
        Assert.That(LengthBatching.PaddingOverhead(lengths, batches), Is.EqualTo(2.0 / 32).Within(1e-12));
        Assert.That(LengthBatching.PaddingOverhead(lengths, [[0, 1], [2, 3], [4]]), Is.EqualTo((18 + 18 + 7) / 32.0 - 1).Within(1e-12));
    }

    [Test]
    public void TokenBudgetBatchesStayWithinTheBudget()
    {
        int[] lengths = [.. RandomLengths(500, seed: 2), 5_000];

        var batches = LengthBatching.BatchesByTokenBudget(lengths, maxTokensPerBatch: 2_048, maxBatchSize: 64).ToList();

        AssertEachIndexExactlyOnce(batches, lengths.Length);
        foreach (int[] batch in batches)
        {
            int longest = batch.Max(i => lengths[i]);
            Assert.That(batch.Length == 1 || batch.Length * longest <= 2_048, Is.True);
            Assert.That(batch.Length, Is.LessThanOrEqualTo(64));
        }
        Assert.That(batches[0], Is.EqualTo(new[] { 500 }), "the over-long item gets its own first batch");
    }

    [Test]
    public void ShuffledBatchesAreDeterministicCoverAllAndPadLittle()
    {
        int[] lengths = RandomLengths(2_000, seed: 3);

        var batches = LengthBatching.ShuffledBatches(lengths, batchSize: 16, seed: 5).ToList();
        var again = LengthBatching.ShuffledBatches(lengths, batchSize: 16, seed: 5).ToList();
        var otherSeed = LengthBatching.ShuffledBatches(lengths, batchSize: 16, seed: 6).ToList();

        AssertEachIndexExactlyOnce(batches, lengths.Length);
        Assert.That(again, Is.EqualTo(batches));
        Assert.That(otherSeed, Is.Not.EqualTo(batches));
        double bucketed = LengthBatching.PaddingOverhead(lengths, batches);
        double sequential = LengthBatching.PaddingOverhead(lengths, Enumerable.Range(0, lengths.Length).Chunk(16));
        Assert.That(bucketed, Is.LessThan(sequential / 5), $"bucketed {bucketed:P1} vs in-order {sequential:P1}");
    }

    [Test]
    public void ShuffledTokenBudgetBatchesFillTheBudgetDeterministicallyAndCoverAll()
    {
        var random = new Random(3);
        int[] lengths = [.. Enumerable.Range(0, 2_000).Select(_ => random.Next(3, 30))]; // short texts
        const int budget = 16 * 64, maxRows = 64;

        var batches = LengthBatching.ShuffledBatchesByTokenBudget(lengths, budget, maxRows, seed: 5).ToList();
        var again = LengthBatching.ShuffledBatchesByTokenBudget(lengths, budget, maxRows, seed: 5).ToList();
        var otherSeed = LengthBatching.ShuffledBatchesByTokenBudget(lengths, budget, maxRows, seed: 6).ToList();

        AssertEachIndexExactlyOnce(batches, lengths.Length);
        Assert.That(again, Is.EqualTo(batches));
        Assert.That(otherSeed, Is.Not.EqualTo(batches));
        foreach (var batch in batches)
        {
            Assert.That(batch.Length, Is.InRange(1, maxRows));
            if (batch.Length > 1) Assert.That(batch.Length * batch.Max(i => lengths[i]), Is.LessThanOrEqualTo(budget));
        }
        int fixedSteps = LengthBatching.ShuffledBatches(lengths, 16, seed: 5).Count();
        Assert.That(batches, Has.Count.LessThan(fixedSteps / 2), "short items fill far fewer steps than fixed batches of 16");
        Assert.That(LengthBatching.PaddingOverhead(lengths, batches), Is.LessThan(0.1));
        Assert.That(batches.Take(5).Select(b => b.Max(i => lengths[i])).Distinct().Count(), Is.GreaterThan(1), "the batch order is shuffled, not longest first");
    }

    [Test]
    public void EmptyInputGivesNoBatchesAndBadSizesAreRejected()
    {
        Assert.That(LengthBatching.Batches([], 8), Is.Empty);
        Assert.That(LengthBatching.ShuffledBatches([], 8, seed: 1), Is.Empty);
        Assert.Throws<ArgumentOutOfRangeException>(() => LengthBatching.Batches([1], 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => LengthBatching.BatchesByTokenBudget([1], 0));
        Assert.That(LengthBatching.ShuffledBatchesByTokenBudget([], 8, 4, seed: 1), Is.Empty);
        Assert.Throws<ArgumentOutOfRangeException>(() => LengthBatching.ShuffledBatchesByTokenBudget([1], 8, 0, seed: 1));
    }
}
