using System.Globalization;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MLNet.Transfer.Models.Tagging;
using MLNet.Transfer.Onnx;
using MLNet.Transfer.Text;
using MLNet.Transfer.Text.Tagging;

namespace MLNet.Transfer.Tests.Onnx;

/// <summary>
/// Runs an exported tagger in ONNX Runtime as a consumer would: tag names, head, CRF constraints (and, for exports from
/// ML.NET, the vocabulary, casing and window size) from the file's metadata; windows as the window policy says; emissions
/// from one padded batch of windows; argmax or constrained Viterbi per window; stitched back to words.
/// </summary>
internal sealed class OnnxTaggerHost : IDisposable
{
    private readonly InferenceSession _session;
    private readonly bool _casing;
    private readonly bool[]? _allowedStarts;
    private readonly bool[,]? _allowedTransitions;

    /// <summary>Per window: emissions and probabilities [owned word][tag], and the graph's decoded tags.</summary>
    public sealed record WindowOutput(float[][] Emissions, float[][] Probabilities, long[] PredictedTags);

    /// <summary>Opens <paramref name="onnx"/>; <paramref name="tokenizer"/> and <paramref name="maxTokens"/> default to the metadata's.</summary>
    public OnnxTaggerHost(byte[] onnx, BertWordPieceTokenizer? tokenizer = null, int? maxTokens = null)
    {
        _session = new InferenceSession(onnx);
        Metadata = _session.ModelMetadata.CustomMetadataMap;
        Tags = JsonSerializer.Deserialize<string[]>(Metadata["mlnet_transfer.tags"])!;
        Head = Metadata["mlnet_transfer.head"];
        _casing = Metadata["mlnet_transfer.casing_features"] == "true";
        Tokenizer = tokenizer ?? BertWordPieceTokenizer.FromTokens(Metadata["mlnet_transfer.vocab"].Split('\n'),
            new BertWordPieceOptions { LowerCase = Metadata["mlnet_transfer.do_lower_case"] == "true" });
        MaxTokens = maxTokens ?? int.Parse(Metadata["mlnet_transfer.max_tokens"], CultureInfo.InvariantCulture);
        if (Head == "Crf")
        {
            using var crf = JsonDocument.Parse(Metadata["mlnet_transfer.crf"]);
            _allowedStarts = crf.RootElement.GetProperty("allowed_starts").Deserialize<bool[]>();
            var rows = crf.RootElement.GetProperty("allowed_transitions").Deserialize<bool[][]>()!;
            _allowedTransitions = new bool[rows.Length, rows.Length];
            for (int i = 0; i < rows.Length; i++)
                for (int j = 0; j < rows.Length; j++) _allowedTransitions[i, j] = rows[i][j];
        }
    }

    public IReadOnlyDictionary<string, string> Metadata { get; }
    public string[] Tags { get; }
    public string Head { get; }
    public BertWordPieceTokenizer Tokenizer { get; }
    public int MaxTokens { get; }

    /// <summary>The CRF's start, end and transition scores as the graph outputs them (after a <see cref="Run"/>).</summary>
    public (float[] Start, float[] End, float[,] Transitions)? Crf { get; private set; }

    /// <summary>The windows of <paramref name="sentence"/> under the export's window size.</summary>
    public IReadOnlyList<TaggingWindow> Windows(IReadOnlyList<string> sentence) => WordPieceAlignment.Windows(Tokenizer, sentence, MaxTokens);

    /// <summary>Runs <paramref name="windows"/> as one right-padded batch.</summary>
    public WindowOutput[] Run(IReadOnlyList<TaggingWindow> windows)
    {
        int rows = windows.Count, length = windows.Max(w => w.Tokens.Length), words = windows.Max(w => w.OwnedWords);
        var ids = new long[rows * length];
        var mask = new long[rows * length];
        var positions = new long[rows * words];
        var shapes = new long[rows * words];
        Array.Fill(ids, Tokenizer.PadId);
        for (int r = 0; r < rows; r++)
        {
            var w = windows[r];
            for (int t = 0; t < w.Tokens.Length; t++) (ids[r * length + t], mask[r * length + t]) = (w.Tokens.InputIds[t], 1);
            for (int k = 0; k < w.OwnedWords; k++) (positions[r * words + k], shapes[r * words + k]) = (w.FirstPieces[k], w.Shapes[k]);
        }
        var inputs = new List<NamedOnnxValue>
        {
            NamedOnnxValue.CreateFromTensor(OnnxExport.InputIds, new DenseTensor<long>(ids, [rows, length])),
            NamedOnnxValue.CreateFromTensor(OnnxExport.AttentionMask, new DenseTensor<long>(mask, [rows, length])),
            NamedOnnxValue.CreateFromTensor(OnnxExport.TokenTypeIds, new DenseTensor<long>(new long[rows * length], [rows, length])),
            NamedOnnxValue.CreateFromTensor(TaggerOnnxExport.WordPositions, new DenseTensor<long>(positions, [rows, words])),
        };
        if (_casing) inputs.Add(NamedOnnxValue.CreateFromTensor(TaggerOnnxExport.WordShapes, new DenseTensor<long>(shapes, [rows, words])));
        using var results = _session.Run(inputs);
        var byName = results.ToDictionary(r => r.Name);
        var emissions = byName[TaggerOnnxExport.Emissions].AsTensor<float>();
        var probabilities = byName[TaggerOnnxExport.Probabilities].AsTensor<float>();
        var predicted = byName[TaggerOnnxExport.PredictedTags].AsTensor<long>();
        if (Head == "Crf")
        {
            var t = byName[TaggerOnnxExport.CrfTransitions].AsTensor<float>();
            var transitions = new float[Tags.Length, Tags.Length];
            for (int i = 0; i < Tags.Length; i++)
                for (int j = 0; j < Tags.Length; j++) transitions[i, j] = t[i, j];
            Crf = (byName[TaggerOnnxExport.CrfStartTransitions].AsTensor<float>().ToArray(), byName[TaggerOnnxExport.CrfEndTransitions].AsTensor<float>().ToArray(), transitions);
        }
        float[][] PerWord(Tensor<float> tensor, int r) => Enumerable.Range(0, windows[r].OwnedWords)
            .Select(k => Enumerable.Range(0, Tags.Length).Select(j => tensor[r, k, j]).ToArray()).ToArray();
        return Enumerable.Range(0, rows).Select(r => new WindowOutput(PerWord(emissions, r), PerWord(probabilities, r),
            Enumerable.Range(0, windows[r].OwnedWords).Select(k => predicted[r, k]).ToArray())).ToArray();
    }

    /// <summary>
    /// Tag names and scores (probability of the decoded tag) per word of each sentence: all windows in one batch, decoded per
    /// window (the graph's predicted_tags, or with <paramref name="decodeHere"/> argmax / constrained Viterbi in C# on the
    /// graph's emissions and CRF scores), stitched.
    /// </summary>
    public (string[] Tags, float[] Scores)[] Tag(IReadOnlyList<IReadOnlyList<string>> sentences, bool decodeHere = false)
    {
        var perSentence = sentences.Select(Windows).ToArray();
        var outputs = Run(perSentence.SelectMany(w => w).ToArray());
        var result = new (string[], float[])[sentences.Count];
        int next = 0;
        for (int s = 0; s < sentences.Count; s++)
        {
            var windows = perSentence[s];
            var paths = new int[windows.Count][];
            var scores = new float[windows.Count][];
            for (int k = 0; k < windows.Count; k++, next++)
            {
                paths[k] = decodeHere ? Decode(outputs[next]) : outputs[next].PredictedTags.Select(t => (int)t).ToArray();
                scores[k] = paths[k].Select((t, w) => outputs[next].Probabilities[w][t]).ToArray();
            }
            result[s] = (WordPieceAlignment.Stitch(windows, paths, sentences[s].Count).Select(t => Tags[t]).ToArray(),
                         WordPieceAlignment.Stitch(windows, scores, sentences[s].Count));
        }
        return result;
    }

    private int[] Decode(WindowOutput output)
    {
        if (Head != "Crf") return output.Emissions.Select(e => Array.IndexOf(e, e.Max())).ToArray();
        var (start, end, transitions) = Crf!.Value;
        return Viterbi.Decode(output.Emissions, start, end, transitions, _allowedTransitions, _allowedStarts).Path;
    }

    public void Dispose() => _session.Dispose();
}
