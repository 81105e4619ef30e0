using MLNet.Transfer.Models;
using MLNet.Transfer.Text;
using static TorchSharp.torch;

namespace MLNet.Transfer.Encoders;

/// <summary>
/// Turns texts into vectors: tokenize, group by length, encode without autograd, pool the selected layers,
/// combine them, average windows of long texts, normalise. Thread-safe: holds no per-call state.
/// </summary>
/// <remarks>
/// The forward pass of each padded batch (encode, pool, combine) runs on LibTorch unless another runtime is given
/// (the ML.NET layer's <c>InferenceEngine</c>); everything around it — tokenization, batching, windows, normalisation —
/// is the same on every runtime.
/// </remarks>
public sealed class SentenceEmbedder
{
    private readonly PretrainedEncoder _encoder;
    private readonly EmbeddingSettings _settings;
    private readonly int[] _layers;
    private readonly float[]? _mix;
    private readonly int _maxTokens;
    private readonly Func<IReadOnlyList<EncodedText>, float[]>? _pooledForward;

    /// <summary>
    /// An embedder whose per-batch forward pass runs elsewhere: <paramref name="pooledForward"/> maps one batch of encoded
    /// items to their pooled, combined, not yet normalised vectors, flat row-major [items × <see cref="Width"/>].
    /// </summary>
    internal SentenceEmbedder(PretrainedEncoder encoder, EmbeddingSettings settings, Func<IReadOnlyList<EncodedText>, float[]> pooledForward)
        : this(encoder, settings)
    {
        _pooledForward = pooledForward;
    }

    /// <summary>Validates <paramref name="settings"/> against <paramref name="encoder"/>.</summary>
    public SentenceEmbedder(PretrainedEncoder encoder, EmbeddingSettings settings)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate(encoder.Shape);
        _encoder = encoder;
        _settings = settings;
        _layers = settings.ResolveLayers(encoder.LayerCount);
        _maxTokens = settings.EffectiveMaxTokens(encoder.MaxTokens);
        _mix = settings.NormalizedMixWeights();
        Width = settings.OutputWidth(encoder.Shape);
    }

    /// <summary>Length of every produced vector.</summary>
    public int Width { get; }

    /// <summary>Embeds each text (with its pair, when given), returning vectors in input order.</summary>
    /// <param name="texts">The texts.</param>
    /// <param name="pairs">Optional second segments, one per text.</param>
    /// <param name="cancellationToken">Checked before each forward batch.</param>
    /// <exception cref="ArgumentNullException">A text is null (the message gives its index).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled between batches.</exception>
    public float[][] Embed(IReadOnlyList<string> texts, IReadOnlyList<string>? pairs = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(texts);
        if (pairs is not null && pairs.Count != texts.Count)
            throw new ArgumentException($"Got {texts.Count} texts but {pairs.Count} second segments; they must pair up.", nameof(pairs));
        var (items, owners) = Tokenize(texts, pairs);
        var itemVectors = new float[items.Count][];
        foreach (var group in LengthBatching.Batches(items.Select(i => i.Length).ToArray(), _settings.BatchSize))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var batch = group.Select(i => items[i]).ToArray();
            var rows = EncodeBatch(batch);
            for (int r = 0; r < group.Length; r++) itemVectors[group[r]] = rows[r];
        }
        return Aggregate(itemVectors, owners, texts.Count);
    }

    private (List<EncodedText> Items, List<int> Owners) Tokenize(IReadOnlyList<string> texts, IReadOnlyList<string>? pairs)
    {
        var tokenizer = _encoder.Tokenizer;
        var items = new List<EncodedText>(texts.Count);
        var owners = new List<int>(texts.Count);
        for (int i = 0; i < texts.Count; i++)
        {
            string text = texts[i] ?? throw new ArgumentNullException(nameof(texts), $"Text at index {i} is null; use an empty string for missing text.");
            if (pairs is not null)
            {
                string pair = pairs[i] ?? throw new ArgumentNullException(nameof(pairs), $"Second segment at index {i} is null.");
                items.Add(tokenizer.EncodePair(text, pair, _maxTokens));
                owners.Add(i);
            }
            else if (_settings.WindowStride > 0)
            {
                foreach (var window in tokenizer.EncodeWindows(text, _maxTokens, _settings.WindowStride))
                {
                    items.Add(window);
                    owners.Add(i);
                }
            }
            else
            {
                items.Add(tokenizer.Encode(text, _maxTokens, _settings.Truncation));
                owners.Add(i);
            }
        }
        return (items, owners);
    }

    /// <summary>
    /// Runs one padded batch through the encoder and returns one pooled, combined row per item (not normalised, windows
    /// not averaged): the per-batch work the benchmarks time.
    /// </summary>
    internal float[][] EncodeBatch(IReadOnlyList<EncodedText> batch)
    {
        var flat = _pooledForward?.Invoke(batch) ?? TorchPooled(batch);
        var rows = new float[batch.Count][];
        for (int r = 0; r < rows.Length; r++) rows[r] = flat.AsSpan(r * Width, Width).ToArray();
        return rows;
    }

    /// <summary>The LibTorch forward pass: pooled, combined rows of one padded batch, flat [items × <see cref="Width"/>].</summary>
    private float[] TorchPooled(IReadOnlyList<EncodedText> batch)
    {
        using var scope = NewDisposeScope();
        using var mode = inference_mode();
        using var tokens = TokenBatch.Create(batch, _encoder.Tokenizer.PadId, _encoder.Device);
        var states = _encoder.Model.Forward(tokens.InputIds, tokens.TokenTypeIds, tokens.AttentionMask);
        var combined = Combine(_layers.Select(l => Pooling.Pool(states[l], tokens.AttentionMask, _settings.Pooling)).ToList());
        return combined.to(ScalarType.Float32).cpu().contiguous().data<float>().ToArray();
    }

    /// <summary>Combines per-layer tensors ([batch, hidden] or [batch, tokens, hidden]) as the settings ask.</summary>
    private Tensor Combine(IReadOnlyList<Tensor> perLayer) => _settings.Combination switch
    {
        LayerCombination.Concatenate => cat(perLayer.ToArray(), -1),
        LayerCombination.ScalarMix => perLayer.Select((p, i) => p * _mix![i]).Aggregate((a, b) => a.Plus(b)),
        _ => perLayer.Count == 1 ? perLayer[0] : stack(perLayer).mean([0]),
    };

    /// <summary>Width of each token vector in <see cref="EmbedTokens"/>: the layer width, summed over the layers when concatenating.</summary>
    public int TokenWidth => _settings.Combination == LayerCombination.Concatenate
        ? _layers.Sum(_encoder.Shape.LayerWidth)
        : _encoder.Shape.LayerWidth(_layers[0]);

    /// <summary>
    /// Token-level output for sequence tasks: per text, the vector of every word piece ([CLS] and [SEP] included) from the
    /// selected, combined layers, flattened row-major as [tokens × <see cref="TokenWidth"/>], and the word pieces themselves.
    /// Pooling and windows do not apply; <c>Normalize</c> normalises each token vector.
    /// </summary>
    public (float[][] Vectors, string[][] Tokens) EmbedTokens(IReadOnlyList<string> texts, IReadOnlyList<string>? pairs = null)
    {
        ArgumentNullException.ThrowIfNull(texts);
        if (_settings.WindowStride > 0) throw new InvalidOperationException("Token-level output does not combine windows; set WindowStride to 0.");
        if (pairs is not null && pairs.Count != texts.Count)
            throw new ArgumentException($"Got {texts.Count} texts but {pairs.Count} second segments; they must pair up.", nameof(pairs));
        var (items, _) = Tokenize(texts, pairs);
        var vectors = new float[items.Count][];
        foreach (var group in LengthBatching.Batches(items.Select(i => i.Length).ToArray(), _settings.BatchSize))
        {
            using var scope = NewDisposeScope();
            using var mode = inference_mode();
            var batch = group.Select(i => items[i]).ToArray();
            using var tokens = TokenBatch.Create(batch, _encoder.Tokenizer.PadId, _encoder.Device);
            var states = _encoder.Model.Forward(tokens.InputIds, tokens.TokenTypeIds, tokens.AttentionMask);
            var combined = Combine(_layers.Select(l => states[l]).ToList());
            if (_settings.Normalize) combined = Pooling.L2Normalize(combined.flatten(0, 1)).view(combined.shape);
            var flat = combined.to(ScalarType.Float32).cpu().contiguous().data<float>().ToArray();
            int padded = (int)combined.shape[1];
            for (int r = 0; r < group.Length; r++)
                vectors[group[r]] = flat.AsSpan(r * padded * TokenWidth, batch[r].Length * TokenWidth).ToArray();
        }
        var vocabulary = _encoder.Vocabulary;
        return (vectors, items.Select(i => i.InputIds.Select(id => vocabulary[id]).ToArray()).ToArray());
    }

    private float[][] Aggregate(float[][] itemVectors, List<int> owners, int count)
    {
        var result = new float[count][];
        var windows = new int[count];
        for (int i = 0; i < itemVectors.Length; i++)
        {
            int owner = owners[i];
            if (result[owner] is null) result[owner] = itemVectors[i];
            else for (int d = 0; d < Width; d++) result[owner][d] += itemVectors[i][d];
            windows[owner]++;
        }
        for (int t = 0; t < count; t++)
        {
            if (windows[t] > 1) for (int d = 0; d < Width; d++) result[t][d] /= windows[t];
            if (_settings.Normalize) NormalizeInPlace(result[t]);
        }
        return result;
    }

    private static void NormalizeInPlace(float[] vector)
    {
        double sum = 0;
        foreach (float v in vector) sum += (double)v * v;
        double norm = Math.Sqrt(sum);
        if (norm < 1e-12) return;
        for (int d = 0; d < vector.Length; d++) vector[d] = (float)(vector[d] / norm);
    }
}
