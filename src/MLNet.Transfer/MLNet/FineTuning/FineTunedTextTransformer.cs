using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transfer.Checkpoints;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.Models;
using MLNet.Transfer.Models.Bert;
using MLNet.Transfer.Models.Heads;
using MLNet.Transfer.Text;
using static TorchSharp.torch;

namespace MLNet.Transfer.MLNetIntegration;

/// <summary>
/// A fine-tuned encoder with a task head, applied to a text column. Adds the standard ML.NET prediction columns —
/// binary: Score, Probability, PredictedLabel; multiclass: Score (class probabilities) and PredictedLabel (key);
/// regression: Score — so Evaluate, CrossValidate and PredictionEngine work unchanged. Saved with
/// <c>mlContext.Model.Save</c> (weights, vocabulary and label names inside the zip); call
/// <c>mlContext.RegisterTransferComponents()</c> before <c>mlContext.Model.Load</c>.
/// </summary>
public sealed class FineTunedTextTransformer : BatchedTransformerBase, IPersistableModel<FineTunedTextTransformer>
{
    private readonly PretrainedEncoder _encoder;
    private readonly TransferModel _model;
    private readonly ColumnNames _columns;
    private readonly TaskPredictor _predictor;

    internal sealed record ColumnNames(string Text, string? SecondText, string Score, string Probability, string PredictedLabel,
                                       int MaxTokens, TruncationStrategy Truncation, string[]? ClassNames);

    internal FineTunedTextTransformer(PretrainedEncoder encoder, TransferModel model, ColumnNames columns, int batchSize)
        : base(Inputs(columns), Outputs(model.Tasks[0], columns), batchSize * ContextualEmbeddingTransformer.ReadAhead)
    {
        _encoder = encoder;
        _model = model;
        _columns = columns;
        _predictor = new TaskPredictor(model, encoder.Tokenizer.PadId, batchSize);
    }

    /// <summary>The task this model predicts.</summary>
    public TaskSpec Task => _model.Tasks[0];

    /// <summary>Class names by index (multiclass), else null.</summary>
    public IReadOnlyList<string>? ClassNames => _columns.ClassNames;

    /// <summary>The fine-tuned encoder (e.g. to save as a Hugging Face directory or reuse as a featurizer).</summary>
    public PretrainedEncoder Encoder => _encoder;

    private static BatchInputColumn[] Inputs(ColumnNames c) => c.SecondText is { } second
        ? [new BatchInputColumn(c.Text, TextDataViewType.Instance), new BatchInputColumn(second, TextDataViewType.Instance)]
        : [new BatchInputColumn(c.Text, TextDataViewType.Instance)];

    private static BatchOutputColumn[] Outputs(TaskSpec task, ColumnNames c)
    {
        switch (task.Kind)
        {
            case TaskKind.Binary:
                return [new(c.Score, NumberDataViewType.Single), new(c.Probability, NumberDataViewType.Single), new(c.PredictedLabel, BooleanDataViewType.Instance)];
            case TaskKind.Multiclass:
            {
                var names = c.ClassNames ?? Enumerable.Range(1, task.Outputs).Select(i => i.ToString()).ToArray();
                var values = new VBuffer<ReadOnlyMemory<char>>(names.Length, names.Select(n => n.AsMemory()).ToArray());
                var namesType = new VectorDataViewType(TextDataViewType.Instance, names.Length);
                ValueGetter<VBuffer<ReadOnlyMemory<char>>> getNames = (ref VBuffer<ReadOnlyMemory<char>> v) => values.CopyTo(ref v);
                var slots = new DataViewSchema.Annotations.Builder();
                slots.Add("SlotNames", namesType, getNames);
                var keys = new DataViewSchema.Annotations.Builder();
                keys.Add("KeyValues", namesType, getNames);
                return [new(c.Score, new VectorDataViewType(NumberDataViewType.Single, names.Length), slots.ToAnnotations()),
                        new(c.PredictedLabel, new KeyDataViewType(typeof(uint), names.Length), keys.ToAnnotations())];
            }
            case TaskKind.Regression:
                return [new(c.Score, NumberDataViewType.Single)];
            default:
                throw new NotSupportedException($"Task kind {task.Kind} has no single-task ML.NET columns.");
        }
    }

    /// <inheritdoc/>
    protected internal override void ComputeBatch(ColumnBatch batch)
    {
        var texts = batch.Input<ReadOnlyMemory<char>>(0);
        var tokenizer = _encoder.Tokenizer;
        var items = new EncodedText[batch.RowCount];
        for (int i = 0; i < items.Length; i++)
            items[i] = _columns.SecondText is null
                ? tokenizer.Encode(texts[i].ToString(), _columns.MaxTokens, _columns.Truncation)
                : tokenizer.EncodePair(texts[i].ToString(), batch.Input<ReadOnlyMemory<char>>(1)[i].ToString(), _columns.MaxTokens);
        var outputs = _predictor.Predict(items)[0];
        switch (Task.Kind)
        {
            case TaskKind.Binary:
            {
                var score = batch.Output<float>(0);
                var probability = batch.Output<float>(1);
                var label = batch.Output<bool>(2);
                for (int i = 0; i < outputs.Length; i++)
                {
                    score[i] = outputs[i][0];
                    probability[i] = 1f / (1f + MathF.Exp(-outputs[i][0]));
                    label[i] = outputs[i][0] > 0;
                }
                break;
            }
            case TaskKind.Multiclass:
            {
                var score = batch.Output<VBuffer<float>>(0);
                var label = batch.Output<uint>(1);
                for (int i = 0; i < outputs.Length; i++)
                {
                    var probabilities = Softmax(outputs[i]);
                    score[i] = new VBuffer<float>(probabilities.Length, probabilities);
                    label[i] = (uint)Array.IndexOf(probabilities, probabilities.Max()) + 1;
                }
                break;
            }
            default:
            {
                var score = batch.Output<float>(0);
                for (int i = 0; i < outputs.Length; i++) score[i] = outputs[i][0];
                break;
            }
        }
    }

    private static float[] Softmax(float[] logits)
    {
        float max = logits.Max();
        var e = logits.Select(l => MathF.Exp(l - max)).ToArray();
        float sum = e.Sum();
        return e.Select(v => v / sum).ToArray();
    }

    /// <inheritdoc/>
    protected override void SaveModel(ModelSaveContext ctx) => ModelPersistence.Save<FineTunedTextTransformer>(ctx, model =>
    {
        var w = model.Writer;
        var task = Task;
        w.Write(task.Name); w.Write((int)task.Kind); w.Write(task.Outputs); w.Write(task.TargetMean); w.Write(task.TargetStd);
        w.Write((int)_model.Pooling);
        w.Write(_columns.Text); w.Write(_columns.SecondText ?? ""); w.Write(_columns.Score); w.Write(_columns.Probability); w.Write(_columns.PredictedLabel);
        w.Write(_columns.MaxTokens); w.Write((int)_columns.Truncation); w.Write(BatchSize / ContextualEmbeddingTransformer.ReadAhead);
        var names = _columns.ClassNames ?? [];
        w.Write(names.Length);
        foreach (var n in names) w.Write(n);
        w.Write(_encoder.Name);
        EncoderPayload.Write(model, _encoder.Config, _encoder.Vocabulary, _model.state_dict());
    });

    static PersistedModelInfo IPersistableModel<FineTunedTextTransformer>.ModelInfo { get; } = new("MLNTFTUN", "MLNetTransferFineTuned", 1);

    static FineTunedTextTransformer IPersistableModel<FineTunedTextTransformer>.Load(PersistedModelReader model)
    {
        var r = model.Reader;
        var task = new TaskSpec(r.ReadString(), (TaskKind)r.ReadInt32(), r.ReadInt32()) { TargetMean = r.ReadDouble(), TargetStd = r.ReadDouble() };
        var pooling = (PoolingMode)r.ReadInt32();
        string text = r.ReadString(), second = r.ReadString(), score = r.ReadString(), probability = r.ReadString(), predicted = r.ReadString();
        int maxTokens = r.ReadInt32();
        var truncation = (TruncationStrategy)r.ReadInt32();
        int batchSize = r.ReadInt32();
        var names = new string[r.ReadInt32()];
        for (int i = 0; i < names.Length; i++) names[i] = r.ReadString();
        string name = r.ReadString();
        var (config, vocabulary, weights) = EncoderPayload.Read(model);
        try
        {
            var bert = new BertModel(config);
            var transfer = new TransferModel(bert, [task], pooling, 0);
            StateDictLoader.Load(transfer, weights, "model zip Weights.safetensors");
            transfer.eval();
            var encoder = PretrainedEncoder.FromModel(name, bert, vocabulary, CPU);
            var columns = new ColumnNames(text, second.Length == 0 ? null : second, score, probability, predicted, maxTokens, truncation, names.Length == 0 ? null : names);
            return new FineTunedTextTransformer(encoder, transfer, columns, batchSize);
        }
        finally
        {
            foreach (var w in weights.Values) w.Dispose();
        }
    }
}
