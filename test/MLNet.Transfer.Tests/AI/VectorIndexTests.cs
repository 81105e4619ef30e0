using Microsoft.Extensions.AI;
using MLNet.Transfer.AI;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.Tests.Reliability;
using SemanticSearch;

namespace MLNet.Transfer.Tests.AI;

/// <summary>
/// examples/SemanticSearch's in-memory index: exact cosine top-k order, ties in insertion order, batched indexing with
/// progress, errors for an empty index and mismatched dimensions; the nearest-neighbour metrics on hand-computed cases;
/// and the index over the real TransferEmbeddingGenerator (tiny random encoder).
/// </summary>
[Category("Unit")]
public class VectorIndexTests
{
    /// <summary>A generator returning fixed vectors per text and recording the batch sizes it was called with.</summary>
    private sealed class FixedVectors(Dictionary<string, float[]> vectors) : IEmbeddingGenerator<string, Embedding<float>>
    {
        public List<int> Batches { get; } = [];

        public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null,
                                                                         CancellationToken cancellationToken = default)
        {
            var texts = values.ToList();
            Batches.Add(texts.Count);
            return Task.FromResult(new GeneratedEmbeddings<Embedding<float>>(texts.Select(t => new Embedding<float>(vectors[t]))));
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose() { }
    }

    // Norms differ on purpose: the ranking must be by cosine, not by dot product.
    private static readonly Dictionary<string, float[]> Plane = new()
    {
        ["east"] = [10, 0], ["north-east"] = [1, 1], ["north"] = [0, 3], ["west"] = [-2, 0], ["south"] = [0, -0.5f],
        ["query: east by north"] = [2, 1],
    };

    private static async Task<VectorIndex> PlaneIndex(FixedVectors generator, int batchSize = 256)
    {
        var index = new VectorIndex(generator, batchSize);
        await index.AddAsync(["east", "north-east", "north", "west", "south"]);
        return index;
    }

    [Test]
    public async Task SearchRanksByCosineSimilarityWithExactScores()
    {
        var index = await PlaneIndex(new FixedVectors(Plane));
        var hits = await index.SearchAsync("query: east by north", top: 5);
        // By dot product "east" (20) would lead; by cosine "north-east" (0.949) beats "east" (0.894).
        Assert.That(hits.Select(h => h.Text), Is.EqualTo(new[] { "north-east", "east", "north", "south", "west" }));
        Assert.That(hits.Select(h => h.Id), Is.EqualTo(new[] { 1, 0, 2, 4, 3 }));
        double norm = Math.Sqrt(5);
        Assert.That(hits.Select(h => (double)h.Score), Is.EqualTo(new[] { 3 / (norm * Math.Sqrt(2)), 2 / norm, 1 / norm, -1 / norm, -2 / norm }).Within(1e-6));
        Assert.That((await index.SearchAsync("query: east by north", top: 2)).Select(h => h.Text), Is.EqualTo(new[] { "north-east", "east" }));
        Assert.That(index.Search([0, 7], top: 1).Single().Text, Is.EqualTo("north"), "a vector query is normalised too");
    }

    [Test]
    public void TiesKeepInsertionOrderAcrossTheTopKBoundary()
    {
        var index = new VectorIndex(new FixedVectors([]));
        string[] names = ["a", "b", "c", "d", "e", "f"];
        float[][] vectors = [[1, 0], [0, 1], [2, 0], [0, 2], [3, 0], [1, 1]]; // a, c, e point the same way; b and d too
        foreach (var (name, vector) in names.Zip(vectors)) index.Add(name, vector);

        Assert.That(index.Search([1, 0], top: 6).Select(h => h.Text), Is.EqualTo(new[] { "a", "c", "e", "f", "b", "d" }));
        Assert.That(index.Search([5, 0], top: 2).Select(h => h.Text), Is.EqualTo(new[] { "a", "c" }), "the cut keeps the earliest of equal scores");
        Assert.That(index.Search([0, 1], top: 1).Single().Id, Is.EqualTo(1));
        Assert.That(index.Search([1, 0], top: 100), Has.Count.EqualTo(6), "top beyond Count returns everything");
    }

    [Test]
    public async Task AddAsyncEmbedsInBatchesReportsProgressAndKeepsInputOrder()
    {
        var vectors = Enumerable.Range(0, 7).ToDictionary(i => $"t{i}", i => new float[] { i + 1, 1 });
        var generator = new FixedVectors(vectors);
        var index = new VectorIndex(generator, batchSize: 3);
        var reports = new List<int>();
        await index.AddAsync([.. vectors.Keys], new SyncProgress(reports));

        Assert.That(generator.Batches, Is.EqualTo(new[] { 3, 3, 1 }));
        Assert.That(reports, Is.EqualTo(new[] { 3, 6, 7 }));
        Assert.That(Enumerable.Range(0, 7).Select(index.TextOf), Is.EqualTo(vectors.Keys));
        Assert.That(index.Dimensions, Is.EqualTo(2));
        float[] stored = index.VectorOf(6).ToArray();
        Assert.That(stored, Is.EqualTo(new[] { 7 / MathF.Sqrt(50), 1 / MathF.Sqrt(50) }).Within(1e-6), "stored at unit length");
    }

    private sealed class SyncProgress(List<int> reports) : IProgress<int>
    {
        public void Report(int value) => reports.Add(value);
    }

    [Test]
    public void AnEmptyIndexRefusesToSearch()
    {
        var index = new VectorIndex(new FixedVectors(Plane));
        var error = Assert.Throws<InvalidOperationException>(() => index.Search([1, 0]));
        Assert.That(error!.Message, Does.Contain("empty"));
        Assert.ThrowsAsync<InvalidOperationException>(() => index.SearchAsync("east"));
        index.Add("east", [1, 0]);
        Assert.Throws<ArgumentOutOfRangeException>(() => index.Search([1, 0], top: 0));
    }

    [Test]
    public async Task MismatchedDimensionsAreRefusedNamingBothLengths()
    {
        var index = await PlaneIndex(new FixedVectors(Plane));
        var added = Assert.Throws<ArgumentException>(() => index.Add("three", [1, 2, 3]));
        Assert.That(added!.Message, Does.Contain("3 dimensions").And.Contain("2-dimensional"));
        var query = Assert.Throws<ArgumentException>(() => index.Search([1, 2, 3, 4]));
        Assert.That(query!.Message, Does.Contain("4 dimensions").And.Contain("2-dimensional"));
        Assert.Throws<ArgumentException>(() => index.Add("nothing", []));

        var otherModel = new FixedVectors(new Dictionary<string, float[]> { ["wide"] = [1, 2, 3] });
        var mixed = new VectorIndex(otherModel);
        mixed.Add("east", [1, 0]);
        Assert.ThrowsAsync<ArgumentException>(() => mixed.AddAsync(["wide"]));
        Assert.That(mixed.Count, Is.EqualTo(1), "nothing of the refused batch was added");
    }

    [Test]
    public void NearestNeighbourScoresMatchHandComputedValues()
    {
        var index = new VectorIndex(new FixedVectors([]));
        string[] labels = ["x", "y", "x", "z"];
        float[][] vectors = [[1, 0], [0.9f, 0.1f], [0, 1], [-1, 0]];
        foreach (var (label, vector) in labels.Zip(vectors)) index.Add(label, vector);
        // Query 1 ([1, 0], "x"): nearest is "x" → rank 1. Query 2 ([1, 0], "y"): "y" is second → rank 2.
        // Query 3 ([-1, 0], "y"): order z, x (id 2, score 0), y, x → rank 3. Query 4 ([0, 1], "w"): no "w" → 0.
        ReadOnlyMemory<float>[] queries = [new float[] { 1, 0 }, new float[] { 1, 0 }, new float[] { -1, 0 }, new float[] { 0, 1 }];
        var scores = NearestNeighbourScores.Measure(index, labels, queries, ["x", "y", "y", "w"]);
        Assert.That(scores.Top1, Is.EqualTo(0.25));
        Assert.That(scores.Top5, Is.EqualTo(0.75));
        Assert.That(scores.Mrr10, Is.EqualTo((1 + 1 / 2.0 + 1 / 3.0) / 4).Within(1e-12));

        var subset = index.Subset([3, 1]);
        Assert.That(Enumerable.Range(0, subset.Count).Select(subset.TextOf), Is.EqualTo(new[] { "z", "y" }));
        Assert.That(subset.Search([1, 0], top: 1).Single(), Is.EqualTo(new SearchHit(1, "y", index.Search([1, 0], top: 2)[1].Score)));
        var (mean, std) = NearestNeighbourScores.SampledTop1(index, labels, queries, ["x", "y", "y", "w"], perLabel: 1, seeds: [1, 2, 3]);
        Assert.That(mean, Is.InRange(0.0, 0.75));
        Assert.That(std, Is.GreaterThanOrEqualTo(0));
    }

    [Test]
    public async Task OverTheTransferGeneratorEveryTextFindsItselfFirst()
    {
        using var encoder = TinyPipelines.NewEncoder();
        using var generator = new TransferEmbeddingGenerator(encoder, new EmbeddingSettings { Pooling = PoolingMode.Mean, Normalize = true, MaxTokens = 32 });
        string[] texts = ["The food was great.", "Cold soup, slow service.", "My card has not arrived yet.", "How do I top up by bank transfer?", "An ordinary Tuesday."];
        var index = new VectorIndex(generator, batchSize: 2);
        await index.AddAsync(texts);
        var direct = (await generator.GenerateAsync(texts)).Select(e => e.Vector.ToArray()).ToArray();
        Assert.That(direct.Select(v => v[0]).Distinct().Count(), Is.EqualTo(texts.Length), "the encoder must give varied vectors");

        for (int i = 0; i < texts.Length; i++)
        {
            var hits = await index.SearchAsync(texts[i], top: texts.Length);
            Assert.That(hits[0].Id, Is.EqualTo(i));
            Assert.That(hits[0].Score, Is.EqualTo(1f).Within(1e-5));
            foreach (var hit in hits)
                Assert.That(hit.Score, Is.EqualTo(direct[i].Zip(direct[hit.Id], (a, b) => a * b).Sum()).Within(1e-5), "cosine of the generator's unit vectors");
        }
    }
}
