using MLNet.Transfer.Text;
using MLNet.Transfer.Text.Tagging;
using static TorchSharp.torch;

namespace MLNet.Transfer.Models.Tagging;

/// <summary>One sentence's predicted tags (indices into the tag set) and the softmax probability of each predicted tag.</summary>
/// <param name="Tags">Tag index per word.</param>
/// <param name="Scores">Per word, the probability the head's softmax gives the predicted tag (for a CRF: of its emission scores).</param>
public sealed record TagPrediction(int[] Tags, float[] Scores);

/// <summary>
/// Tags sentences with a <see cref="TaggingModel"/> without autograd: word-piece windows (see
/// <see cref="WordPieceAlignment"/>), batched by length, decoded per window (argmax, or constrained Viterbi for a CRF), and
/// stitched back to one tag per word. Thread-safe (no per-call state on the instance).
/// </summary>
public sealed class TagPredictor
{
    private readonly TaggerSpec _spec;
    private readonly bool[,] _allowedTransitions;
    private readonly bool[] _allowedStarts;
    private readonly BertWordPieceTokenizer? _tokenizer;
    private readonly Func<IReadOnlyList<TaggingWindow>, float[]> _forward;
    private readonly int _maxTokens;
    private readonly int _batchSize;
    private readonly Lazy<(float[] Start, float[] End, float[,] Transitions)?> _crf;

    /// <summary>Creates a predictor reading windows of at most <paramref name="maxTokens"/> tokens.</summary>
    public TagPredictor(TaggingModel model, BertWordPieceTokenizer tokenizer, int maxTokens, int batchSize = 32)
        : this(model, tokenizer, maxTokens, batchSize, windows => TorchForward(model, tokenizer.PadId, windows))
    {
    }

    /// <summary>Creates a predictor of windows already cut (<see cref="PredictWindows"/> only); <paramref name="padId"/> is the tokenizer's [PAD] id.</summary>
    public TagPredictor(TaggingModel model, int padId, int batchSize = 32) : this(model, null, 0, batchSize, windows => TorchForward(model, padId, windows))
    {
    }

    /// <summary>
    /// A predictor whose per-batch forward pass runs elsewhere: <paramref name="forward"/> maps one batch of windows to their
    /// emission scores, flat row-major [windows × <see cref="TaggingBatches.WordWidth"/> × tags]. Windows, batching,
    /// decoding (argmax, or constrained Viterbi with <paramref name="model"/>'s CRF scores) and stitching are the same on every runtime.
    /// </summary>
    internal TagPredictor(TaggingModel model, BertWordPieceTokenizer? tokenizer, int maxTokens, int batchSize, Func<IReadOnlyList<TaggingWindow>, float[]> forward)
        : this(model.Spec, () => model.Crf?.Scores(), tokenizer, maxTokens, batchSize, forward)
    {
    }

    /// <summary>
    /// The same for a tagger known by its <paramref name="spec"/> and CRF scores (<paramref name="crfScores"/>, read on the
    /// first prediction; null for a linear head), e.g. one whose weights are still in their file.
    /// </summary>
    internal TagPredictor(TaggerSpec spec, Func<(float[] Start, float[] End, float[,] Transitions)?> crfScores, BertWordPieceTokenizer? tokenizer, int maxTokens,
                          int batchSize, Func<IReadOnlyList<TaggingWindow>, float[]> forward)
    {
        _spec = spec;
        _allowedTransitions = TagConstraints.Transitions(spec.Tags);
        _allowedStarts = TagConstraints.Starts(spec.Tags);
        _tokenizer = tokenizer;
        _maxTokens = maxTokens;
        _batchSize = batchSize;
        _forward = forward;
        _crf = new(crfScores);
    }

    /// <summary>
    /// The decoded tags and scores of each window's owned words, in input order: what <see cref="Predict"/> stitches back to
    /// sentences (windows from <see cref="WordPieceAlignment.Windows"/>).
    /// </summary>
    public TagPrediction[] PredictWindows(IReadOnlyList<TaggingWindow> windows)
    {
        var emissions = Emissions(windows);
        return emissions.Select(e => { var (tags, scores) = Decode(e); return new TagPrediction(tags, scores); }).ToArray();
    }

    /// <summary>Predictions for <paramref name="sentences"/> (each at least one word), in input order. An empty sentence gives empty arrays.</summary>
    public TagPrediction[] Predict(IReadOnlyList<IReadOnlyList<string>> sentences)
    {
        if (_tokenizer is null) throw new InvalidOperationException("This predictor was made for windows already cut (PredictWindows); give it the tokenizer to tag words.");
        var windows = new List<TaggingWindow>();
        var owners = new List<int>();
        var perSentence = new List<TaggingWindow>[sentences.Count];
        for (int s = 0; s < sentences.Count; s++)
        {
            perSentence[s] = [];
            if (sentences[s].Count == 0) continue;
            foreach (var w in WordPieceAlignment.Windows(_tokenizer, sentences[s], _maxTokens)) { windows.Add(w); owners.Add(s); perSentence[s].Add(w); }
        }
        var predicted = PredictWindows(windows);
        var decoded = new Dictionary<TaggingWindow, TagPrediction>(ReferenceEqualityComparer.Instance);
        for (int k = 0; k < windows.Count; k++) decoded[windows[k]] = predicted[k];
        var result = new TagPrediction[sentences.Count];
        for (int s = 0; s < sentences.Count; s++)
        {
            var list = perSentence[s];
            result[s] = list.Count == 0
                ? new TagPrediction([], [])
                : new TagPrediction(WordPieceAlignment.Stitch(list, list.Select(w => decoded[w].Tags).ToArray(), sentences[s].Count),
                                    WordPieceAlignment.Stitch(list, list.Select(w => decoded[w].Scores).ToArray(), sentences[s].Count));
        }
        return result;
    }

    /// <summary>Emission scores [window][owned word][tag] of every window.</summary>
    internal float[][][] Emissions(IReadOnlyList<TaggingWindow> windows)
    {
        var result = new float[windows.Count][][];
        int tags = _spec.Tags.Length;
        foreach (var group in LengthBatching.Batches(windows.Select(w => w.Tokens.Length).ToArray(), _batchSize))
        {
            var items = group.Select(i => windows[i]).ToArray();
            var flat = _forward(items);
            int width = TaggingBatches.WordWidth(items);
            for (int r = 0; r < items.Length; r++)
            {
                var rows = new float[items[r].OwnedWords][];
                for (int w = 0; w < rows.Length; w++) rows[w] = flat.AsSpan((r * width + w) * tags, tags).ToArray();
                result[group[r]] = rows;
            }
        }
        return result;
    }

    /// <summary>The LibTorch forward pass of one batch of windows: emission scores, flat [windows × words × tags].</summary>
    private static float[] TorchForward(TaggingModel model, int padId, IReadOnlyList<TaggingWindow> windows)
    {
        using var scope = NewDisposeScope();
        using var mode = inference_mode();
        return model.Emissions(windows, padId).to(ScalarType.Float32).cpu().contiguous().data<float>().ToArray();
    }

    private (int[] Tags, float[] Scores) Decode(float[][] emissions)
    {
        int[] path;
        if (_crf.Value is { } crf)
            path = Viterbi.Decode(emissions, crf.Start, crf.End, crf.Transitions, _allowedTransitions, _allowedStarts).Path;
        else
            path = emissions.Select(e => Array.IndexOf(e, e.Max())).ToArray();
        var scores = new float[path.Length];
        for (int w = 0; w < path.Length; w++)
        {
            float max = emissions[w].Max();
            double sum = emissions[w].Sum(e => Math.Exp(e - max));
            scores[w] = (float)(Math.Exp(emissions[w][path[w]] - max) / sum);
        }
        return (path, scores);
    }
}

/// <summary>Tensors (and flat arrays) describing a batch of tagging windows beyond the token ids.</summary>
internal static class TaggingBatches
{
    /// <summary>Words per row of a batch: the most owned words of any window (at least 1).</summary>
    public static int WordWidth(IReadOnlyList<TaggingWindow> windows) => Math.Max(1, windows.Max(w => w.OwnedWords));

    /// <summary>[batch, most owned words] int64 positions of each owned word's first piece (0, the [CLS] position, as padding).</summary>
    public static Tensor WordPositions(IReadOnlyList<TaggingWindow> windows, Device device) =>
        tensor(PerWord(windows, w => w.FirstPieces), [windows.Count, WordWidth(windows)], device: device);

    /// <summary>[batch, most owned words] int64 <see cref="WordShape"/> of each owned word (0 as padding).</summary>
    public static Tensor WordShapes(IReadOnlyList<TaggingWindow> windows, Device device) =>
        tensor(PerWord(windows, w => w.Shapes), [windows.Count, WordWidth(windows)], device: device);

    /// <summary>Flat row-major [batch × <see cref="WordWidth"/>] int64 values of one per-word field of each window, 0 as padding.</summary>
    public static long[] PerWord(IReadOnlyList<TaggingWindow> windows, Func<TaggingWindow, int[]> field)
    {
        int width = WordWidth(windows);
        var values = new long[windows.Count * width];
        for (int r = 0; r < windows.Count; r++)
        {
            var row = field(windows[r]);
            for (int w = 0; w < windows[r].OwnedWords; w++) values[r * width + w] = row[w];
        }
        return values;
    }
}
