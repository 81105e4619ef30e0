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
    private readonly TaggingModel _model;
    private readonly BertWordPieceTokenizer? _tokenizer;
    private readonly int _padId;
    private readonly int _maxTokens;
    private readonly int _batchSize;
    private readonly Lazy<(float[] Start, float[] End, float[,] Transitions)?> _crf;

    /// <summary>Creates a predictor reading windows of at most <paramref name="maxTokens"/> tokens.</summary>
    public TagPredictor(TaggingModel model, BertWordPieceTokenizer tokenizer, int maxTokens, int batchSize = 32) : this(model, tokenizer.PadId, batchSize)
    {
        _tokenizer = tokenizer;
        _maxTokens = maxTokens;
    }

    /// <summary>Creates a predictor of windows already cut (<see cref="PredictWindows"/> only); <paramref name="padId"/> is the tokenizer's [PAD] id.</summary>
    public TagPredictor(TaggingModel model, int padId, int batchSize = 32)
    {
        _model = model;
        _padId = padId;
        _batchSize = batchSize;
        _crf = new(() => model.Crf?.Scores());
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
        int tags = _model.Spec.Tags.Length;
        foreach (var group in LengthBatching.Batches(windows.Select(w => w.Tokens.Length).ToArray(), _batchSize))
        {
            using var scope = NewDisposeScope();
            using var mode = inference_mode();
            var items = group.Select(i => windows[i]).ToArray();
            var scores = _model.Emissions(items, _padId).to(ScalarType.Float32).cpu().contiguous();
            var flat = scores.data<float>().ToArray();
            int width = (int)scores.shape[1];
            for (int r = 0; r < items.Length; r++)
            {
                var rows = new float[items[r].OwnedWords][];
                for (int w = 0; w < rows.Length; w++) rows[w] = flat.AsSpan((r * width + w) * tags, tags).ToArray();
                result[group[r]] = rows;
            }
        }
        return result;
    }

    private (int[] Tags, float[] Scores) Decode(float[][] emissions)
    {
        int[] path;
        if (_crf.Value is { } crf)
            path = Viterbi.Decode(emissions, crf.Start, crf.End, crf.Transitions, _model.AllowedTransitions, _model.AllowedStarts).Path;
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

/// <summary>Tensors describing a batch of tagging windows beyond the token ids.</summary>
internal static class TaggingBatches
{
    /// <summary>[batch, most owned words] int64 positions of each owned word's first piece (0, the [CLS] position, as padding).</summary>
    public static Tensor WordPositions(IReadOnlyList<TaggingWindow> windows, Device device)
    {
        int width = Math.Max(1, windows.Max(w => w.OwnedWords));
        var values = new long[windows.Count * width];
        for (int r = 0; r < windows.Count; r++)
            for (int w = 0; w < windows[r].OwnedWords; w++) values[r * width + w] = windows[r].FirstPieces[w];
        return tensor(values, [windows.Count, width], device: device);
    }

    /// <summary>[batch, most owned words] int64 <see cref="WordShape"/> of each owned word (0 as padding).</summary>
    public static Tensor WordShapes(IReadOnlyList<TaggingWindow> windows, Device device)
    {
        int width = Math.Max(1, windows.Max(w => w.OwnedWords));
        var values = new long[windows.Count * width];
        for (int r = 0; r < windows.Count; r++)
            for (int w = 0; w < windows[r].OwnedWords; w++) values[r * width + w] = windows[r].Shapes[w];
        return tensor(values, [windows.Count, width], device: device);
    }
}
