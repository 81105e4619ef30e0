using System.Globalization;
using System.Text.Json;
using MLNet.Transfer.Checkpoints;
using MLNet.Transfer.Models;
using MLNet.Transfer.Models.Tagging;
using static TorchSharp.torch;

namespace MLNet.Transfer.Onnx;

/// <summary>
/// ONNX export of a <see cref="TaggingModel"/> (fine-tuned or features route, linear or CRF head, with or without BiLSTM and
/// casing features) over a BERT encoder. Inputs: the token inputs of <see cref="OnnxExport"/> for one window per row, plus
/// <see cref="WordPositions"/> (and <see cref="WordShapes"/> with casing features). Outputs: per-word
/// <see cref="Emissions"/>, their softmax <see cref="Probabilities"/> and the decoded <see cref="PredictedTags"/>: the argmax
/// for the linear head; for the CRF head Viterbi constrained to valid BIO sequences (as <see cref="Viterbi.Decode"/> with
/// <see cref="TagConstraints"/>, run inside the graph with two Loop nodes), whose learned scores are outputs too
/// (<see cref="CrfStartTransitions"/>, <see cref="CrfEndTransitions"/>, <see cref="CrfTransitions"/>) for hosts that decode
/// themselves. Tag names, head and decoding rules are in the metadata ("mlnet_transfer.tags", "mlnet_transfer.head",
/// "mlnet_transfer.crf").
/// </summary>
public static class TaggerOnnxExport
{
    /// <summary>Input: position in input_ids of each word's first word piece, int64 [batch, words]; 0 (the [CLS] position) pads rows with fewer words.</summary>
    public const string WordPositions = "word_positions";
    /// <summary>Input of taggers with casing features: each word's <see cref="Text.Tagging.WordShape"/> class, int64 [batch, words] (0 for padding).</summary>
    public const string WordShapes = "word_shapes";
    /// <summary>Output: tag scores per word, float [batch, words, tags] (the CRF's emission scores).</summary>
    public const string Emissions = "emissions";
    /// <summary>Output: softmax of <see cref="Emissions"/> over tags, float [batch, words, tags]; ML.NET's Score is the predicted tag's entry.</summary>
    public const string Probabilities = "probabilities";
    /// <summary>
    /// Output: the decoded tag index per word, int64 [batch, words]: the highest-scoring tag (first on ties) for the linear
    /// head, the constrained Viterbi path of each row for the CRF head (entries past a row's last word repeat its last tag).
    /// </summary>
    public const string PredictedTags = "predicted_tags";
    /// <summary>Output of the CRF head: score of starting a sentence (window) with each tag, float [tags].</summary>
    public const string CrfStartTransitions = "crf_start_transitions";
    /// <summary>Output of the CRF head: score of ending a sentence (window) with each tag, float [tags].</summary>
    public const string CrfEndTransitions = "crf_end_transitions";
    /// <summary>Output of the CRF head: score of tag j following tag i, float [tags (i), tags (j)].</summary>
    public const string CrfTransitions = "crf_transitions";

    private const string Words = "words";

    /// <summary>Writes <paramref name="model"/> to <paramref name="stream"/>; see the class summary for inputs and outputs.</summary>
    /// <exception cref="NotSupportedException">The encoder is not a bidirectional BERT (e.g. a recurrent AWD-LSTM or biLSTM), or the weights exceed 2 GiB.</exception>
    public static void Write(TaggingModel model, Stream stream, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(stream);
        var spec = model.Spec;
        var config = OnnxExport.RequireBert(model.Encoder).Config;
        var weights = ExportWeights.Of(model.state_dict());
        var (g, states, positions, emissions) = EmitEmissions(spec, config, weights, model.EncoderPrefix, options);
        int tags = spec.Tags.Length;
        g.Output(g.Op("Softmax", [emissions], OnnxProto.IntAttribute("axis", -1)), Probabilities, OnnxProto.Float, OnnxExport.Batch, Words, tags);
        var metadata = new Dictionary<string, string>
        {
            ["mlnet_transfer.kind"] = "tagger",
            ["mlnet_transfer.tags"] = JsonSerializer.Serialize(spec.Tags),
            ["mlnet_transfer.head"] = spec.Head.ToString(),
            ["mlnet_transfer.features_only"] = spec.FeaturesOnly ? "true" : "false",
            ["mlnet_transfer.bilstm_hidden"] = spec.BiLstmHidden.ToString(CultureInfo.InvariantCulture),
            ["mlnet_transfer.casing_features"] = spec.CasingFeatures ? "true" : "false",
            ["mlnet_transfer.config"] = config.ToJson(),
        };
        if (spec.CasingFeatures)
            metadata["mlnet_transfer.word_shapes"] = "Per word (its letters as .NET's char.IsLetter / char.IsUpper see them): 0 no letters, 1 all lower case, " +
                                                     "2 Title (first letter the only upper-case one), 3 UPPER (all upper case, two or more letters), 4 any other mix.";
        string predicted;
        if (model.Crf is { } crf)
        {
            var scores = new Dictionary<string, string>();
            foreach (var (name, key) in new[] { (CrfStartTransitions, "crf.start_transitions"), (CrfEndTransitions, "crf.end_transitions"), (CrfTransitions, "crf.transitions") })
            {
                scores[name] = g.Float32Weight(key, weights);
                g.Output(scores[name], name, OnnxProto.Float, name == CrfTransitions ? new OnnxProto.Dim[] { tags, tags } : new OnnxProto.Dim[] { tags });
            }
            string real = g.Op("Cast", [g.Op("Greater", positions, g.Int64Constant("zero", [0], scalar: true))], OnnxProto.IntAttribute("to", OnnxProto.Int64));
            string lengths = g.Op("ReduceSum", [real, g.Int64Constant("word_axis", [1])], OnnxProto.IntAttribute("keepdims", 1)); // [batch, 1]
            predicted = new ViterbiOnnxGraph(g, tags).Decode(emissions, lengths, scores[CrfStartTransitions], scores[CrfEndTransitions], scores[CrfTransitions],
                                                            model.AllowedStarts, model.AllowedTransitions);
            metadata["mlnet_transfer.crf"] = CrfMetadata(model, crf);
            metadata["mlnet_transfer.decoding"] =
                "Per window (row): predicted_tags is Viterbi over the row's words (word_positions > 0) with the emissions and the crf_* scores, where a " +
                "path may not start with a tag whose allowed_starts entry is false nor take a transition whose allowed_transitions[from][to] is false " +
                "(BIO: I-X only after B-X or I-X). The library's decoder (Viterbi.Decode, double precision) also falls back to unconstrained decoding " +
                "when the constraints allow no path, which cannot happen while some tag is not I-X.";
        }
        else
        {
            predicted = g.Op("ArgMax", [emissions], OnnxProto.IntAttribute("axis", -1), OnnxProto.IntAttribute("keepdims", 0));
            metadata["mlnet_transfer.decoding"] = "Per word: the tag with the highest emission score (predicted_tags).";
        }
        g.Output(predicted, PredictedTags, OnnxProto.Int64, OnnxExport.Batch, Words);
        if (options?.IncludeLastHiddenState == true)
            g.Output(states[^1], OnnxExport.LastHiddenState, OnnxProto.Float, OnnxExport.Batch, OnnxExport.Sequence, config.HiddenSize);
        OnnxExport.WriteModel(g, "mlnet_transfer_tagger", metadata, options, stream);
    }

    /// <summary>
    /// Writes the graph the ONNX Runtime inference engine runs: the same inputs, and <see cref="Emissions"/> as the only
    /// output (decoding and scores are computed from them by <see cref="TagPredictor"/>, as on LibTorch).
    /// </summary>
    internal static void WriteEmissions(TaggingModel model, Stream stream, OnnxExportOptions? options = null) =>
        WriteEmissions(model.Spec, OnnxExport.RequireBert(model.Encoder).Config, ExportWeights.Of(model.state_dict()), model.EncoderPrefix, stream, options);

    /// <summary>
    /// <see cref="WriteEmissions(TaggingModel, Stream, OnnxExportOptions?)"/> from a tagger's weights (a state dict or its
    /// weight file): the encoder under <paramref name="encoderPrefix"/>, the head's state-dict names at the top level.
    /// </summary>
    internal static void WriteEmissions(TaggerSpec spec, BertConfig config, ExportWeights weights, string encoderPrefix, Stream stream, OnnxExportOptions? options)
    {
        var (g, _, _, _) = EmitEmissions(spec, config, weights, encoderPrefix, options);
        OnnxExport.WriteModel(g, "mlnet_transfer_tagger_emissions", new() { ["mlnet_transfer.kind"] = "tagger_emissions", ["mlnet_transfer.config"] = config.ToJson() },
                              options, stream);
    }

    /// <summary>The inputs, the encoder and the layers above it up to the <see cref="Emissions"/> output, which is declared.</summary>
    private static (OnnxGraphBuilder G, IReadOnlyList<string> States, string Positions, string Emissions)
        EmitEmissions(TaggerSpec spec, BertConfig config, ExportWeights weights, string encoderPrefix, OnnxExportOptions? options)
    {
        var g = new OnnxGraphBuilder();
        var (ids, mask, types) = OnnxExport.Inputs(g);
        var (positions, shapes) = WordInputs(g, spec.CasingFeatures);
        var states = new BertOnnxGraph(g, config, weights, encoderPrefix, options?.Int8Weights == true).Emit(ids, types, mask);
        string emissions = new TaggerOnnxGraph(g, spec, weights).Emissions(states, positions, shapes);
        EmissionsOutput(g, emissions, Emissions, spec);
        return (g, states, positions, emissions);
    }

    /// <summary>Declares <see cref="WordPositions"/> and, with <paramref name="casing"/>, <see cref="WordShapes"/>: the inputs a tagging head adds to the token inputs.</summary>
    internal static (string Positions, string? Shapes) WordInputs(OnnxGraphBuilder g, bool casing) =>
        (g.Input(WordPositions, OnnxProto.Int64, OnnxExport.Batch, Words), casing ? g.Input(WordShapes, OnnxProto.Int64, OnnxExport.Batch, Words) : null);

    /// <summary>Declares tagging head <paramref name="spec"/>'s <see cref="Emissions"/> output under <paramref name="name"/>.</summary>
    internal static void EmissionsOutput(OnnxGraphBuilder g, string value, string name, TaggerSpec spec) =>
        g.Output(value, name, OnnxProto.Float, OnnxExport.Batch, Words, spec.Tags.Length);

    /// <summary>Writes <paramref name="model"/> to <paramref name="path"/> atomically (temp file, then rename): see <see cref="Write"/>.</summary>
    public static void Save(TaggingModel model, string path, OnnxExportOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(model);
        AtomicFile.Write(path, stream => Write(model, stream, options));
    }

    /// <summary>The CRF's scores (the same float32 values as the crf_* outputs) and the BIO constraints, as JSON.</summary>
    private static string CrfMetadata(TaggingModel model, ConditionalRandomField crf)
    {
        var (start, end, transitions) = crf.Scores();
        int tags = start.Length;
        return JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["start_transitions"] = start,
            ["end_transitions"] = end,
            ["transitions"] = Enumerable.Range(0, tags).Select(i => Enumerable.Range(0, tags).Select(j => transitions[i, j]).ToArray()).ToArray(),
            ["allowed_starts"] = model.AllowedStarts,
            ["allowed_transitions"] = Enumerable.Range(0, tags).Select(i => Enumerable.Range(0, tags).Select(j => model.AllowedTransitions[i, j]).ToArray()).ToArray(),
        });
    }
}
