using MLNet.Transfer.Checkpoints;
using MLNet.Transfer.Onnx;
using System.Text.Json;
using MLNet.Transfer.Models;
using MLNet.Transfer.Models.Bert;
using MLNet.Transfer.Models.Heads;
using static TorchSharp.torch;

namespace MLNet.Transfer.Onnx;

/// <summary>
/// Writes our TorchSharp models as self-contained ONNX files (opset <see cref="Opset"/>, weights inside, fp32) that run in
/// ONNX Runtime, ML.NET's <c>ApplyOnnxModel</c> and other ONNX hosts. Inputs are int64 [batch, sequence] tensors
/// <see cref="InputIds"/>, <see cref="AttentionMask"/> (1 = token, 0 = padding) and <see cref="TokenTypeIds"/>, with
/// dynamic batch and sequence sizes; tokenization stays outside the graph. Results match the TorchSharp forward pass in
/// eval mode (no dropout) to float rounding.
/// </summary>
public static class OnnxExport
{
    /// <summary>The ONNX operator set the graphs use (17: the first with LayerNormalization). Tested with ONNX Runtime 1.31.1.</summary>
    public const int Opset = 17;

    /// <summary>Input: word-piece ids, int64 [batch, sequence].</summary>
    public const string InputIds = "input_ids";
    /// <summary>Input: 1 for real tokens, 0 for padding, int64 [batch, sequence].</summary>
    public const string AttentionMask = "attention_mask";
    /// <summary>Input: segment ids (0 for the first text, 1 for a second), int64 [batch, sequence].</summary>
    public const string TokenTypeIds = "token_type_ids";
    /// <summary>Output of an encoder export: the pooled sentence vector, float [batch, width].</summary>
    public const string SentenceEmbedding = "sentence_embedding";
    /// <summary>Optional output: the last block's token states, float [batch, sequence, hidden].</summary>
    public const string LastHiddenState = "last_hidden_state";

    /// <summary>Symbolic dimension names of the inputs.</summary>
    internal const string Batch = "batch", Sequence = "sequence";

    /// <summary>
    /// The output holding the raw head outputs of <paramref name="task"/> in a model with <paramref name="taskCount"/> tasks:
    /// "logits" (binary: one logit; multiclass: class logits; multi-label: label logits) or, for regression, "prediction"
    /// (the value in target units); prefixed "&lt;task&gt;." when the model has several tasks, as its ML.NET columns are.
    /// </summary>
    public static string OutputName(TaskSpec task, int taskCount) => Prefix(task, taskCount) + (task.Kind == TaskKind.Regression ? "prediction" : "logits");

    /// <summary>
    /// The output holding probabilities of a classification <paramref name="task"/> (sigmoid of the logit for binary and
    /// multi-label, softmax over classes for multiclass): "probabilities", or "&lt;task&gt;.probabilities"; null for regression.
    /// </summary>
    public static string? ProbabilityOutputName(TaskSpec task, int taskCount) => task.Kind == TaskKind.Regression ? null : Prefix(task, taskCount) + "probabilities";

    /// <summary>
    /// The output holding the per-word tag scores of tagging <paramref name="task"/> (its head's emissions, float [batch,
    /// words, tags], over the windows fed as <see cref="TaggerOnnxExport.WordPositions"/>): "emissions", or "&lt;task&gt;.emissions".
    /// </summary>
    public static string EmissionsOutputName(TaskSpec task, int taskCount) => Prefix(task, taskCount) + TaggerOnnxExport.Emissions;

    private static string Prefix(TaskSpec task, int taskCount) => taskCount == 1 ? "" : task.Name + ".";

    /// <summary>
    /// Writes a task model (shared encoder, pooling, every head) to <paramref name="stream"/>: per sentence task the outputs
    /// named by <see cref="OutputName"/> and <see cref="ProbabilityOutputName"/>, each float [batch, outputs]; per tagging
    /// task its emissions (<see cref="EmissionsOutputName"/>), for which the graph also takes
    /// <see cref="TaggerOnnxExport.WordPositions"/> (and <see cref="TaggerOnnxExport.WordShapes"/> when a tagging head uses
    /// casing features). One row of the inputs is a text for the sentence outputs and a word window for the emissions; an
    /// output the caller does not read may be fed placeholder word inputs (e.g. zeros [batch, 1]).
    /// </summary>
    /// <exception cref="NotSupportedException">The encoder is a causal decoder, or the weights exceed 2 GiB.</exception>
    public static void Write(TransferModel model, Stream stream, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(stream);
        WriteTaskModel(RequireBert(model.Encoder).Config, ExportWeights.Of(model.state_dict()), model.Pooling, model.Tasks, stream, options);
    }

    /// <summary>
    /// <see cref="Write(TransferModel, Stream, OnnxExportOptions?)"/> from the task model's weights (a state dict or its
    /// safetensors file: "bert." + the encoder's names and "heads.&lt;task&gt;.classifier.weight/bias").
    /// </summary>
    internal static void WriteTaskModel(BertConfig config, ExportWeights weights, PoolingMode pooling, IReadOnlyList<TaskSpec> taskSpecs, Stream stream,
                                        OnnxExportOptions? options)
    {
        var g = new OnnxGraphBuilder();
        var (ids, mask, types) = Inputs(g);
        var taggers = taskSpecs.Where(t => t.Kind == TaskKind.Tagging).ToArray();
        var (positions, shapes) = taggers.Length > 0 ? TaggerOnnxExport.WordInputs(g, taggers.Any(t => t.Tagging!.CasingFeatures)) : ("", null);
        var states = new BertOnnxGraph(g, config, weights, "bert.", options?.Int8Weights == true).Emit(ids, types, mask);
        string features = new PoolingOnnxGraph(g, mask).Pool(states[^1], pooling);
        string Weight(string name) => g.Float32Weight(name, weights);
        var tasks = new List<Dictionary<string, object?>>();
        foreach (var task in taskSpecs)
        {
            if (task.Kind == TaskKind.Tagging)
            {
                string emissions = EmissionsOutputName(task, taskSpecs.Count);
                TaggerOnnxExport.EmissionsOutput(g, new TaggerOnnxGraph(g, task.Tagging!, weights, $"taggers.{task.Name}.").Emissions(states, positions, shapes), emissions, task.Tagging!);
                tasks.Add(new() { ["name"] = task.Name, ["kind"] = task.Kind.ToString(), ["outputs"] = task.Outputs, ["emissions"] = emissions, ["tags"] = task.Tagging!.Tags });
                continue;
            }
            string head = $"heads.{task.Name}.classifier.";
            string output = g.Op("Gemm", [features, Weight(head + "weight"), Weight(head + "bias")], OnnxProto.IntAttribute("transB", 1));
            if (task.Kind == TaskKind.Regression && (task.TargetStd != 1 || task.TargetMean != 0))
                output = g.Op("Add", g.Op("Mul", output, g.Scalar("target_std", (float)task.TargetStd)), g.Scalar("target_mean", (float)task.TargetMean));
            string name = OutputName(task, taskSpecs.Count);
            g.Output(output, name, OnnxProto.Float, Batch, task.Outputs);
            string? probabilityName = ProbabilityOutputName(task, taskSpecs.Count);
            if (probabilityName is not null)
            {
                string probabilities = task.Kind == TaskKind.Multiclass
                    ? g.Op("Softmax", [output], OnnxProto.IntAttribute("axis", -1))
                    : g.Op("Sigmoid", output);
                g.Output(probabilities, probabilityName, OnnxProto.Float, Batch, task.Outputs);
            }
            tasks.Add(new() { ["name"] = task.Name, ["kind"] = task.Kind.ToString(), ["outputs"] = task.Outputs, ["output"] = name, ["probabilities"] = probabilityName });
        }
        if (options?.IncludeLastHiddenState == true) g.Output(states[^1], LastHiddenState, OnnxProto.Float, Batch, Sequence, config.HiddenSize);
        var metadata = new Dictionary<string, string>
        {
            ["mlnet_transfer.kind"] = "task_model",
            ["mlnet_transfer.pooling"] = pooling.ToString(),
            ["mlnet_transfer.tasks"] = JsonSerializer.Serialize(tasks),
            ["mlnet_transfer.config"] = config.ToJson(),
        };
        WriteModel(g, "mlnet_transfer_task_model", metadata, options, stream);
    }

    /// <summary>Writes a task model to <paramref name="path"/> atomically (temp file, then rename): see <see cref="Write(TransferModel, Stream, OnnxExportOptions?)"/>.</summary>
    public static void Save(TransferModel model, string path, OnnxExportOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(model);
        AtomicFile.Write(path, stream => Write(model, stream, options));
    }

    /// <summary>
    /// The BERT behind <paramref name="encoder"/> — the one place that says ONNX export covers the BERT transformer only
    /// (its graph is emitted from <see cref="BertConfig"/> and Hugging Face BERT weight names).
    /// </summary>
    /// <exception cref="NotSupportedException">Another architecture (e.g. a recurrent encoder).</exception>
    internal static BertModel RequireBert(TextEncoder encoder) => encoder as BertModel
        ?? throw new NotSupportedException($"ONNX export covers BERT encoders; this model's encoder is a {encoder.ModelType} model.");

    /// <summary>Writes a bare encoder whose output <see cref="SentenceEmbedding"/> is pooled as <paramref name="pooling"/> says.</summary>
    internal static void WriteEncoder(BertConfig config, ExportWeights weights, SentencePooling pooling, Stream stream, OnnxExportOptions? options,
                                      IReadOnlyDictionary<string, string> metadata)
    {
        var g = new OnnxGraphBuilder();
        var (ids, mask, types) = Inputs(g);
        var states = new BertOnnxGraph(g, config, weights, "", options?.Int8Weights == true).Emit(ids, types, mask);
        string sentence = new PoolingOnnxGraph(g, mask).Sentence(states, pooling);
        int width = Pooling.Width(pooling.Pooling, config.HiddenSize) * (pooling.Concatenate ? pooling.Layers.Count : 1);
        g.Output(sentence, SentenceEmbedding, OnnxProto.Float, Batch, width);
        if (options?.IncludeLastHiddenState == true) g.Output(states[^1], LastHiddenState, OnnxProto.Float, Batch, Sequence, config.HiddenSize);
        var all = new Dictionary<string, string>(metadata)
        {
            ["mlnet_transfer.kind"] = "sentence_encoder",
            ["mlnet_transfer.config"] = config.ToJson(),
        };
        WriteModel(g, "mlnet_transfer_sentence_encoder", all, options, stream);
    }

    /// <summary>Declares the three token inputs every export shares.</summary>
    internal static (string Ids, string Mask, string Types) Inputs(OnnxGraphBuilder g) => (
        g.Input(InputIds, OnnxProto.Int64, Batch, Sequence),
        g.Input(AttentionMask, OnnxProto.Int64, Batch, Sequence),
        g.Input(TokenTypeIds, OnnxProto.Int64, Batch, Sequence));

    /// <summary>Writes the ModelProto: the graph, the opset, <paramref name="metadata"/> over the caller's extra entries.</summary>
    internal static void WriteModel(OnnxGraphBuilder g, string graphName, Dictionary<string, string> metadata, OnnxExportOptions? options, Stream stream)
    {
        var entries = new Dictionary<string, string>(options?.Metadata ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        foreach (var (key, value) in metadata) entries[key] = value;
        string version = typeof(OnnxExport).Assembly.GetName().Version?.ToString() ?? "";
        var model = OnnxProto.Model(g.Build(graphName), Opset, "MLNet.Transfer", version, entries, g.UsesContribOps);
        // In-memory exports (the ONNX Runtime engines) get one exact allocation instead of a doubling buffer and a copy.
        if (stream is MemoryStream { Length: 0 } memory && model.Size <= Array.MaxLength) memory.Capacity = (int)model.Size;
        model.WriteTo(stream);
    }
}
