using System.Numerics.Tensors;
using Microsoft.Extensions.AI;

namespace SemanticSearch;

/// <summary>One search result: the indexed text's id (its position in insertion order), the text and its cosine similarity to the query.</summary>
public readonly record struct SearchHit(int Id, string Text, float Score);

/// <summary>
/// A small in-memory vector index over any <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/>: texts are embedded in
/// batches, stored as unit-length vectors, and a query's top k are found by cosine similarity over every stored vector
/// (exact, no approximation; a few milliseconds per query for ten thousand 384-dimensional vectors on one core).
/// </summary>
/// <remarks>
/// Ties in score are broken by insertion order (the lower id first), so results are deterministic. A zero vector stays
/// zero (similarity 0 to everything). Adding is not thread-safe; once built, concurrent searches are.
/// For a persistent or larger store, give the same generator to a Microsoft.Extensions.VectorData connector instead.
/// </remarks>
public sealed class VectorIndex
{
    private readonly IEmbeddingGenerator<string, Embedding<float>> _generator;
    private readonly int _batchSize;
    private readonly List<string> _texts = [];
    private readonly List<float[]> _vectors = [];

    /// <summary>An empty index whose texts and queries are embedded by <paramref name="generator"/>.</summary>
    /// <param name="generator">The embedding generator (e.g. <c>TransferEmbeddingGenerator.Load("minilm")</c>); not disposed by the index.</param>
    /// <param name="batchSize">Texts per <see cref="IEmbeddingGenerator{TInput, TEmbedding}.GenerateAsync"/> call (and per progress report). Default 256.</param>
    public VectorIndex(IEmbeddingGenerator<string, Embedding<float>> generator, int batchSize = 256)
    {
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        _generator = generator;
        _batchSize = batchSize;
    }

    /// <summary>Number of indexed texts.</summary>
    public int Count => _texts.Count;

    /// <summary>Length of the stored vectors; 0 while the index is empty (the first vector fixes it).</summary>
    public int Dimensions { get; private set; }

    /// <summary>The text added with id <paramref name="id"/>.</summary>
    public string TextOf(int id) => _texts[id];

    /// <summary>The stored (unit-length) vector of id <paramref name="id"/>.</summary>
    public ReadOnlyMemory<float> VectorOf(int id) => _vectors[id];

    /// <summary>Embeds <paramref name="texts"/> in batches and adds them; ids continue from <see cref="Count"/> in input order.</summary>
    /// <param name="texts">The texts to index.</param>
    /// <param name="progress">Receives the number of texts embedded so far after every batch.</param>
    /// <param name="cancellationToken">Checked between batches; texts of finished batches stay indexed.</param>
    /// <exception cref="ArgumentException">The generator's vectors do not have the index's <see cref="Dimensions"/>.</exception>
    public async Task AddAsync(IReadOnlyList<string> texts, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(texts);
        int done = 0;
        foreach (var batch in texts.Chunk(_batchSize))
        {
            var vectors = await EmbedBatchAsync(batch, cancellationToken).ConfigureAwait(false);
            for (int i = 0; i < batch.Length; i++) Add(batch[i], vectors[i].Span);
            progress?.Report(done += batch.Length);
        }
    }

    /// <summary>Adds one text with a vector computed elsewhere (stored normalised to unit length); returns its id.</summary>
    /// <exception cref="ArgumentException">The vector is empty or its length is not <see cref="Dimensions"/>.</exception>
    public int Add(string text, ReadOnlySpan<float> vector)
    {
        ArgumentNullException.ThrowIfNull(text);
        CheckDimensions(vector.Length, "vector");
        if (Dimensions == 0) Dimensions = vector.Length;
        _texts.Add(text);
        _vectors.Add(Normalized(vector));
        return _texts.Count - 1;
    }

    /// <summary>A new index over the same generator holding the given entries of this one (new ids 0, 1, ... in the order given).</summary>
    public VectorIndex Subset(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var subset = new VectorIndex(_generator, _batchSize);
        foreach (int id in ids) subset.Add(_texts[id], _vectors[id]);
        return subset;
    }

    /// <summary>Embeds <paramref name="texts"/> in batches (e.g. many queries at once, to search each with <see cref="Search"/>).</summary>
    /// <param name="texts">The texts.</param>
    /// <param name="progress">Receives the number of texts embedded so far after every batch.</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    public async Task<ReadOnlyMemory<float>[]> EmbedAsync(IReadOnlyList<string> texts, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var vectors = new List<ReadOnlyMemory<float>>(texts.Count);
        foreach (var batch in texts.Chunk(_batchSize))
        {
            vectors.AddRange(await EmbedBatchAsync(batch, cancellationToken).ConfigureAwait(false));
            progress?.Report(vectors.Count);
        }
        return [.. vectors];
    }

    /// <summary>Embeds <paramref name="query"/> and returns the <paramref name="top"/> most similar indexed texts (see <see cref="Search"/>).</summary>
    public async Task<IReadOnlyList<SearchHit>> SearchAsync(string query, int top = 5, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var vector = await EmbedBatchAsync([query], cancellationToken).ConfigureAwait(false);
        return Search(vector[0].Span, top);
    }

    /// <summary>
    /// The <paramref name="top"/> indexed texts most similar to <paramref name="query"/> (cosine similarity, best first;
    /// equal scores in insertion order), or all of them if fewer are indexed.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="top"/> is less than 1.</exception>
    /// <exception cref="InvalidOperationException">The index is empty.</exception>
    /// <exception cref="ArgumentException">The query's length is not <see cref="Dimensions"/>.</exception>
    public IReadOnlyList<SearchHit> Search(ReadOnlySpan<float> query, int top = 5)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(top, 1);
        if (Count == 0) throw new InvalidOperationException("The index is empty: add texts before searching.");
        CheckDimensions(query.Length, "query");
        var unit = Normalized(query);
        // The best `top` so far, best first; a later id replaces an entry only with a strictly higher score, so ties keep insertion order.
        var best = new List<(int Id, float Score)>(Math.Min(top, Count) + 1);
        for (int id = 0; id < _vectors.Count; id++)
        {
            float score = TensorPrimitives.Dot(unit, _vectors[id]);
            if (best.Count == top && score <= best[^1].Score) continue;
            int at = best.Count;
            while (at > 0 && best[at - 1].Score < score) at--;
            best.Insert(at, (id, score));
            if (best.Count > top) best.RemoveAt(top);
        }
        return [.. best.Select(b => new SearchHit(b.Id, _texts[b.Id], b.Score))];
    }

    private async Task<ReadOnlyMemory<float>[]> EmbedBatchAsync(string[] batch, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var embeddings = await _generator.GenerateAsync(batch, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (embeddings.Count != batch.Length)
            throw new InvalidOperationException($"The embedding generator returned {embeddings.Count} vectors for {batch.Length} texts.");
        return [.. embeddings.Select(e => e.Vector)];
    }

    private void CheckDimensions(int length, string what)
    {
        if (length == 0) throw new ArgumentException($"The {what} vector is empty.", what);
        if (Dimensions != 0 && length != Dimensions)
            throw new ArgumentException($"The {what} has {length} dimensions but the index holds {Dimensions}-dimensional vectors " +
                                        "(embed texts and queries with the same model).", what);
    }

    private static float[] Normalized(ReadOnlySpan<float> vector)
    {
        var unit = vector.ToArray();
        float norm = TensorPrimitives.Norm(unit);
        if (norm > 0) TensorPrimitives.Divide(unit, norm, unit);
        return unit;
    }
}
