using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transfer.Checkpoints;
using MLNet.Transfer.Onnx;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.Inference;
using MLNet.Transfer.Models;
using MLNet.Transfer.Models.Heads;
using MLNet.Transfer.Models.Tagging;
using MLNet.Transfer.Text;
using static TorchSharp.torch;

namespace MLNet.Transfer.MLNetIntegration;

/// <summary>
/// A fine-tuned encoder with one or more task heads, applied to a text column. Adds each task's standard ML.NET
/// prediction columns (see <see cref="TaskColumns"/>) — binary: Score, Probability, PredictedLabel; multiclass: Score
/// (class probabilities) and PredictedLabel (key); regression: Score; multi-label: vectors of those — so Evaluate,
/// CrossValidate and PredictionEngine work unchanged. One encoder pass serves every sentence head. A tagging task of a
/// multi-task model reads its words column (vector of text) and adds "&lt;task&gt;.PredictedLabel" (vector of keys with the
/// tag names as KeyValues) and "&lt;task&gt;.Score", as the token classifier does; the encoder then also runs over the words'
/// windows. Data with only some of the input columns (e.g. a CoNLL view with words but no text) gets the columns of the
/// tasks it can feed. Saved with <c>mlContext.Model.Save</c> (weights, vocabulary and label names inside the zip); call
/// <c>mlContext.RegisterTransferComponents()</c> before <c>mlContext.Model.Load</c>. The forward passes of every head run
/// on <see cref="InferenceEngine"/> (by default ONNX Runtime over our export of the model, built on first use, whose tagging
/// heads output their emission scores); decoding tags — argmax, or the CRF's constrained Viterbi — is the same code on every engine.
/// </summary>
public sealed class FineTunedTextTransformer : BatchedTransformerBase, IPersistableModel<FineTunedTextTransformer>
{
    private readonly PretrainedEncoder _encoder;
    private readonly TaskModelSource _model;
    private readonly TextInput _input;
    private readonly TaskColumns[] _columns;
    private readonly TaskPredictor _predictor;
    private readonly InferenceEngine _requestedEngine;
    private readonly EngineTaskPredictor _engine;
    private readonly TagPredictor?[] _taggers;
    private readonly int[][] _inputsOf;

    /// <summary>
    /// The text column(s) and how texts are tokenized; <paramref name="WindowStride"/> &gt; 0 averages the logits of
    /// overlapping windows. <paramref name="MaxTokens"/> is also the window size of tagging tasks.
    /// </summary>
    internal sealed record TextInput(string Text, string? SecondText, int MaxTokens, TruncationStrategy Truncation, int WindowStride = 0)
    {
        /// <summary>Pairs are scored on both orderings, their pooled vectors summed (<see cref="SymmetricPair"/>).</summary>
        public bool SymmetricPairs { get; init; }
    }

    /// <summary>Whether sentence pairs are scored on both orderings and summed (<see cref="TextFineTuningOptions.SymmetricPairs"/>), so the order of the two texts does not matter.</summary>
    public bool SymmetricPairs => _input.SymmetricPairs;

    internal FineTunedTextTransformer(PretrainedEncoder encoder, TransferModel model, TextInput input, IReadOnlyList<TaskColumns> columns, int batchSize,
                                      InferenceEngine engine = InferenceEngine.Auto)
        : this(encoder, new TaskModelSource(model), input, columns, batchSize, engine)
    {
    }

    // model: built, or (loaded from a zip) still in its weights file until LibTorch or an export needs the module.
    private FineTunedTextTransformer(PretrainedEncoder encoder, TaskModelSource model, TextInput input, IReadOnlyList<TaskColumns> columns, int batchSize,
                                     InferenceEngine engine)
        : base(InputsFor(input, model.Tasks, columns), OutputsFor(input, model.Tasks, columns), batchSize * ContextualEmbeddingTransformer.ReadAhead)
    {
        _encoder = encoder;
        _model = model;
        _input = input;
        _columns = columns.ToArray();
        _requestedEngine = engine;
        _engine = new EngineTaskPredictor(model, encoder.Tokenizer.PadId, batchSize, engine);
        _predictor = _engine.Predictor;
        _taggers = model.Tasks.Select(t => t.Kind == TaskKind.Tagging ? _engine.Tagger(t, encoder.Tokenizer, input.MaxTokens, batchSize) : null).ToArray();
        _inputsOf = model.Tasks.Select((t, i) => InputsOf(input, model.Tasks, columns, i)).ToArray();
    }

    /// <summary>
    /// The runtime computing the predictions: <see cref="InferenceEngine.OnnxRuntime"/> (or the opt-in <see cref="InferenceEngine.OnnxRuntimeInt8"/>) or <see cref="InferenceEngine.LibTorch"/>,
    /// resolved from <see cref="TextFineTuningOptions.InferenceEngine"/> (Auto falls back to LibTorch for a recurrent encoder
    /// or a GPU device).
    /// </summary>
    public InferenceEngine InferenceEngine => _engine.Engine;

    /// <summary>
    /// The same model computed on another engine (e.g. <see cref="InferenceEngine.LibTorch"/> for a model saved with the
    /// default); encoder and heads are shared, not copied.
    /// </summary>
    /// <exception cref="NotSupportedException"><paramref name="engine"/> is OnnxRuntime and cannot run this model.</exception>
    public FineTunedTextTransformer WithInferenceEngine(InferenceEngine engine) =>
        new(_encoder, _model, _input, _columns, BatchSize / ContextualEmbeddingTransformer.ReadAhead, engine);

    /// <summary>The same model with its own copy of the weights on <paramref name="device"/> (see <see cref="DeviceCatalog.WithDevice"/>).</summary>
    internal FineTunedTextTransformer CopyTo(Device device)
    {
        var (encoder, model) = EncoderWithHeads.CopyTo(_encoder, _model.Model, network => new TransferModel(network, _model.Tasks, _model.Pooling, 0), device);
        return new FineTunedTextTransformer(encoder, model, _input, _columns, BatchSize / ContextualEmbeddingTransformer.ReadAhead, _requestedEngine);
    }

    /// <summary>The first (for single-task models, the only) task.</summary>
    public TaskSpec Task => _model.Tasks[0];

    /// <summary>Every task, in head order.</summary>
    public IReadOnlyList<TaskSpec> Tasks => _model.Tasks;

    /// <summary>The output columns and class/label names of each task, in <see cref="Tasks"/> order.</summary>
    public IReadOnlyList<TaskColumns> TaskOutputs => _columns;

    /// <summary>Class names by index of the first task (multiclass), else null.</summary>
    public IReadOnlyList<string>? ClassNames => _columns[0].Names;

    /// <summary>The encoder with its task heads (for exporters).</summary>
    internal TransferModel Model => _model.Model;

    /// <summary>The fine-tuned encoder (e.g. to save as a Hugging Face directory or reuse as a featurizer).</summary>
    public PretrainedEncoder Encoder => _encoder;

    /// <summary>The text column(s) and tokenization settings.</summary>
    internal TextInput Input => _input;

    /// <summary>
    /// Writes the encoder with every task head as an ONNX model (see <see cref="OnnxExportCatalog.ExportTransferModelToOnnx(ModelOperationsCatalog, ITransformer, Stream, OnnxExportOptions?)"/>):
    /// per task "logits" and "probabilities" (regression: "prediction"), prefixed "&lt;task&gt;." when there are several tasks.
    /// </summary>
    public void WriteOnnx(Stream stream, OnnxExportOptions? options = null) => TransferOnnxExport.Write(this, stream, options);

    /// <summary>Writes the ONNX model to <paramref name="path"/> atomically (temp file, then rename); see <see cref="WriteOnnx"/>.</summary>
    public void SaveAsOnnx(string path, OnnxExportOptions? options = null) => TransferOnnxExport.Save(path, stream => WriteOnnx(stream, options));

    /// <summary>Tags sentences (words in, one tag name per word out) with tagging task <paramref name="task"/>, without going through an IDataView.</summary>
    public string[][] PredictTags(string task, IReadOnlyList<IReadOnlyList<string>> sentences)
    {
        int t = Tasks.Select(x => x.Name).ToList().IndexOf(task);
        if (t < 0 || _taggers[t] is not { } tagger) throw new ArgumentException($"The model has no tagging task '{task}' (tasks: {string.Join(", ", Tasks.Select(x => $"{x.Name} ({x.Kind})"))}).", nameof(task));
        var tags = Tasks[t].Tagging!.Tags;
        return tagger.Predict(sentences).Select(p => p.Tags.Select(i => tags[i]).ToArray()).ToArray();
    }

    /// <summary>The input column names: the text column(s) when a sentence task exists, then each distinct words column of the tagging tasks.</summary>
    private static List<(string Name, DataViewType Type)> InputNames(TextInput c, IReadOnlyList<TaskSpec> tasks, IReadOnlyList<TaskColumns> columns)
    {
        var names = new List<(string, DataViewType)>();
        if (tasks.Any(t => t.Kind != TaskKind.Tagging))
        {
            names.Add((c.Text, TextDataViewType.Instance));
            if (c.SecondText is { } second) names.Add((second, TextDataViewType.Instance));
        }
        foreach (var tokens in columns.Select(x => x.Tokens).OfType<string>().Distinct())
            names.Add((tokens, new VectorDataViewType(TextDataViewType.Instance)));
        return names;
    }

    private static BatchInputColumn[] InputsFor(TextInput c, IReadOnlyList<TaskSpec> tasks, IReadOnlyList<TaskColumns> columns) =>
        InputNames(c, tasks, columns).Select(n => new BatchInputColumn(n.Name, n.Type)).ToArray();

    /// <summary>The input columns task <paramref name="t"/> reads: its words column (tagging), else the text column(s).</summary>
    private static int[] InputsOf(TextInput c, IReadOnlyList<TaskSpec> tasks, IReadOnlyList<TaskColumns> columns, int t)
    {
        var names = InputNames(c, tasks, columns).Select(n => n.Name).ToList();
        return tasks[t].Kind == TaskKind.Tagging ? [names.IndexOf(columns[t].Tokens!)] : c.SecondText is null ? [0] : [0, 1];
    }

    private static BatchOutputColumn[] OutputsFor(TextInput c, IReadOnlyList<TaskSpec> tasks, IReadOnlyList<TaskColumns> columns) =>
        tasks.SelectMany((task, t) => columns[t].Columns(task).Select(o => new BatchOutputColumn(o.Name, o.Type, o.Annotations) { Inputs = InputsOf(c, tasks, columns, t) })).ToArray();

    /// <inheritdoc/>
    protected internal override void ComputeBatch(ColumnBatch batch)
    {
        bool texts = Tasks.Any(t => t.Kind != TaskKind.Tagging) && _inputsOf.Where((_, t) => Tasks[t].Kind != TaskKind.Tagging).SelectMany(i => i).All(batch.HasInput);
        var outputs = texts ? Predict(Strings(batch, 0), _input.SecondText is null ? null : Strings(batch, 1)) : null;
        int first = 0;
        for (int t = 0; t < _columns.Length; t++)
        {
            if (_taggers[t] is { } tagger)
            {
                int words = _inputsOf[t][0];
                if (batch.HasInput(words)) TagSequenceColumns.Fill(tagger.Predict(TagSequenceColumns.Words(batch, words)), batch, first);
            }
            else if (outputs is not null) _columns[t].Fill(Tasks[t], outputs[t], batch, first);
            first += _columns[t].Columns(Tasks[t]).Length;
        }
    }

    private static string[] Strings(ColumnBatch batch, int input)
    {
        var values = batch.Input<ReadOnlyMemory<char>>(input);
        var strings = new string[batch.RowCount];
        for (int i = 0; i < strings.Length; i++) strings[i] = values[i].ToString();
        return strings;
    }

    /// <summary>Each task's head outputs [task][row][output] for texts (and second texts), windows averaged as configured.</summary>
    internal float[][][] Predict(IReadOnlyList<string> texts, IReadOnlyList<string>? seconds)
    {
        var tokenizer = _encoder.Tokenizer;
        var items = new List<EncodedText>(texts.Count);
        var owners = new List<int>(texts.Count);
        for (int i = 0; i < texts.Count; i++)
        {
            if (seconds is not null)
                items.Add(tokenizer.EncodePair(texts[i], seconds[i], _input.MaxTokens));
            else if (_input.WindowStride > 0)
                foreach (var window in tokenizer.EncodeWindows(texts[i], _input.MaxTokens, _input.WindowStride)) { items.Add(window); owners.Add(i); }
            else
                items.Add(tokenizer.Encode(texts[i], _input.MaxTokens, _input.Truncation));
            if (owners.Count < items.Count) owners.Add(i);
        }
        if (seconds is not null && _input.SymmetricPairs)
            return SymmetricPair.Combine(_model.Tasks, _model.HeadBias, _predictor.Predict(items), _predictor.Predict([.. texts.Select((t, i) => tokenizer.EncodePair(seconds[i], t, _input.MaxTokens))]));
        var outputs = _predictor.Predict(items);
        return items.Count > texts.Count ? outputs.Select(task => AverageByRow(task, owners, texts.Count)).ToArray() : outputs;
    }

    /// <summary>The same model with other output settings (e.g. decision thresholds); encoder and heads are shared, not copied.</summary>
    internal FineTunedTextTransformer WithColumns(IReadOnlyList<TaskColumns> columns) =>
        new(_encoder, _model, _input, columns, BatchSize / ContextualEmbeddingTransformer.ReadAhead, _requestedEngine);

    /// <summary>
    /// Long texts predicted window by window: each row's outputs are the mean over its windows' outputs (logits). A task
    /// without sentence outputs (a tagging task: <see cref="TaskPredictor"/> leaves its rows null) keeps null rows.
    /// </summary>
    private static float[][] AverageByRow(float[][] windows, List<int> owners, int rows)
    {
        var sums = new float[rows][];
        var counts = new int[rows];
        for (int w = 0; w < windows.Length; w++)
        {
            if (windows[w] is null) continue;
            int row = owners[w];
            if (sums[row] is null) sums[row] = (float[])windows[w].Clone();
            else for (int d = 0; d < sums[row].Length; d++) sums[row][d] += windows[w][d];
            counts[row]++;
        }
        for (int r = 0; r < rows; r++)
            for (int d = 0; d < (sums[r]?.Length ?? 0); d++) sums[r][d] /= counts[r];
        return sums;
    }

    /// <inheritdoc/>
    protected override void SaveModel(ModelSaveContext ctx) => ModelPersistence.Save<FineTunedTextTransformer>(ctx, model =>
    {
        var w = model.Writer;
        w.Write((int)_model.Pooling);
        w.Write(_input.Text); w.Write(_input.SecondText ?? ""); w.Write(_input.MaxTokens); w.Write((int)_input.Truncation); w.Write(_input.WindowStride);
        w.Write(BatchSize / ContextualEmbeddingTransformer.ReadAhead);
        w.Write(_encoder.Name);
        w.Write(Tasks.Count);
        for (int t = 0; t < Tasks.Count; t++)
        {
            var (task, columns) = (Tasks[t], _columns[t]);
            w.Write(task.Name); w.Write((int)task.Kind); w.Write(task.Outputs); w.Write(task.TargetMean); w.Write(task.TargetStd);
            w.Write(columns.Score); w.Write(columns.Probability); w.Write(columns.PredictedLabel);
            var names = columns.Names ?? [];
            w.Write(names.Length);
            foreach (var n in names) w.Write(n);
            w.Write(columns.Threshold);
            if (task.Kind == TaskKind.Tagging) { w.Write((int)task.Tagging!.Head); w.Write(task.Tagging.CasingFeatures); w.Write(columns.Tokens!); }
        }
        w.Write((int)_requestedEngine);
        w.Write(_input.SymmetricPairs);
        EncoderPayload.Write(model, _encoder, _model.WriteStateDict);
    });

    // Version 5: whether pairs are scored on both orderings (after the engine; older files: one ordering).
    // Version 4: tagging tasks (after a tagging task's threshold: its head, casing features and words column) and the
    // inference engine choice (after the tasks; older files load with Auto). Version 3: a decision threshold per task.
    // Version 2: several task heads, each with its own columns, and prediction windows (version 1: exactly one head).
    static PersistedModelInfo IPersistableModel<FineTunedTextTransformer>.ModelInfo { get; } = new("MLNTFTUN", "MLNetTransferFineTuned", 5, 5, 1);

    static FineTunedTextTransformer IPersistableModel<FineTunedTextTransformer>.Load(PersistedModelReader model)
    {
        if (model.VersionWritten < 2) return LoadVersion1(model);
        var r = model.Reader;
        var pooling = (PoolingMode)r.ReadInt32();
        string text = r.ReadString(), second = r.ReadString();
        var input = new TextInput(text, second.Length == 0 ? null : second, r.ReadInt32(), (TruncationStrategy)r.ReadInt32(), r.ReadInt32());
        int batchSize = r.ReadInt32();
        string name = r.ReadString();
        var tasks = new TaskSpec[r.ReadInt32()];
        var columns = new TaskColumns[tasks.Length];
        for (int t = 0; t < tasks.Length; t++)
        {
            tasks[t] = new TaskSpec(r.ReadString(), (TaskKind)r.ReadInt32(), r.ReadInt32()) { TargetMean = r.ReadDouble(), TargetStd = r.ReadDouble() };
            string score = r.ReadString(), probability = r.ReadString(), predicted = r.ReadString();
            var names = new string[r.ReadInt32()];
            for (int i = 0; i < names.Length; i++) names[i] = r.ReadString();
            columns[t] = new TaskColumns(score, probability, predicted, names.Length == 0 ? null : names) { Threshold = model.VersionWritten >= 3 ? r.ReadSingle() : 0 };
            if (!Enum.IsDefined(tasks[t].Kind) || (tasks[t].Kind == TaskKind.Tagging && model.VersionWritten < 4))
                throw new ModelFormatException($"{model.Info.LoaderSignature}: task '{tasks[t].Name}' has an unknown kind ({(int)tasks[t].Kind}) for format version {model.VersionWritten}.");
            if (tasks[t].Kind == TaskKind.Tagging)
            {
                var head = (TaggingHead)r.ReadInt32();
                bool casing = r.ReadBoolean();
                tasks[t] = tasks[t] with { Tagging = new TaggerSpec(names, head, CasingFeatures: casing) };
                columns[t] = columns[t] with { Tokens = r.ReadString() };
            }
        }
        var engine = model.VersionWritten >= 4 ? (InferenceEngine)r.ReadInt32() : InferenceEngine.Auto;
        if (model.VersionWritten >= 5) input = input with { SymmetricPairs = r.ReadBoolean() };
        return Build(model, name, pooling, input, tasks, columns, batchSize, engine);
    }

    /// <summary>Version 1 files (one head; written before multi-task support).</summary>
    private static FineTunedTextTransformer LoadVersion1(PersistedModelReader model)
    {
        var r = model.Reader;
        var task = new TaskSpec(r.ReadString(), (TaskKind)r.ReadInt32(), r.ReadInt32()) { TargetMean = r.ReadDouble(), TargetStd = r.ReadDouble() };
        var pooling = (PoolingMode)r.ReadInt32();
        string text = r.ReadString(), second = r.ReadString(), score = r.ReadString(), probability = r.ReadString(), predicted = r.ReadString();
        var input = new TextInput(text, second.Length == 0 ? null : second, r.ReadInt32(), (TruncationStrategy)r.ReadInt32());
        int batchSize = r.ReadInt32();
        var names = new string[r.ReadInt32()];
        for (int i = 0; i < names.Length; i++) names[i] = r.ReadString();
        string name = r.ReadString();
        return Build(model, name, pooling, input, [task], [new TaskColumns(score, probability, predicted, names.Length == 0 ? null : names)], batchSize, InferenceEngine.Auto);
    }

    private static FineTunedTextTransformer Build(PersistedModelReader model, string name, PoolingMode pooling, TextInput input,
                                                  TaskSpec[] tasks, TaskColumns[] columns, int batchSize, InferenceEngine engine)
    {
        var description = EncoderPayload.ReadDescription(model);
        // A BERT with sentence and tagging heads keeps its weights in the file until LibTorch or an export needs the module.
        if (EncoderPayload.TryReadDeferred(model, description, name, config => TaskModelSource.HeadWeights(config, tasks, pooling)) is var (deferredEncoder, deferred))
            return new FineTunedTextTransformer(deferredEncoder, new TaskModelSource(deferredEncoder, deferred, tasks, pooling), input, columns, batchSize, engine);
        var (network, vocabulary, tokenizerOptions, weights) = EncoderPayload.Read(model, description);
        try
        {
            var (encoder, transfer) = EncoderWithHeads.Assemble(network, n => new TransferModel(n, tasks, pooling, 0), weights, name, vocabulary,
                                                                tokenizerOptions, CPU, "model zip Weights.safetensors");
            return new FineTunedTextTransformer(encoder, transfer, input, columns, batchSize, engine);
        }
        finally
        {
            foreach (var w in weights.Values) w.Dispose();
        }
    }
}
