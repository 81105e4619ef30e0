using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.Inference;
using MLNet.Transfer.Models;
using MLNet.Transfer.Models.Heads;
using MLNet.Transfer.Training;
using static TorchSharp.torch;

namespace MLNet.Transfer.MLNetIntegration;

/// <summary>
/// A fine-tuned multiple-choice model (the OpenAI transformer's transformation): each candidate of a row is joined to the
/// row's context ([CLS] context [SEP] candidate [SEP]) and scored by one head; the scores are normalised with a softmax
/// across the row's candidates. Adds Score (the probability of each candidate, one slot per candidate) and PredictedLabel
/// (a key: k = candidate slot k − 1), the shape ML.NET's multiclass evaluator reads. The candidate forward passes run on
/// <see cref="InferenceEngine"/> (by default ONNX Runtime over our export of the scorer). Saved with
/// <c>mlContext.Model.Save</c>; call <c>mlContext.RegisterTransferComponents()</c> before <c>mlContext.Model.Load</c>.
/// </summary>
public sealed class MultipleChoiceTransformer : BatchedTransformerBase, IPersistableModel<MultipleChoiceTransformer>
{
    private readonly PretrainedEncoder _encoder;
    private readonly TransferModel _model;
    private readonly Columns _columns;
    private readonly InferenceEngine _requestedEngine;
    private readonly EngineTaskPredictor _engine;

    /// <summary>The input and output column names, the number of candidates and the token budget of each (context, candidate) pair.</summary>
    internal sealed record Columns(string Context, string Candidates, int CandidateCount, string Score, string PredictedLabel, int MaxTokens);

    internal MultipleChoiceTransformer(PretrainedEncoder encoder, TransferModel model, Columns columns, int batchSize, InferenceEngine engine)
        : base([new BatchInputColumn(columns.Context, TextDataViewType.Instance),
                new BatchInputColumn(columns.Candidates, new VectorDataViewType(TextDataViewType.Instance, columns.CandidateCount))],
               OutputsFor(columns), batchSize * ContextualEmbeddingTransformer.ReadAhead)
    {
        _encoder = encoder;
        _model = model;
        _columns = columns;
        _requestedEngine = engine;
        _engine = new EngineTaskPredictor(model, encoder.Tokenizer.PadId, batchSize * columns.CandidateCount, engine);
    }

    /// <summary>The runtime computing the candidates' scores: ONNX Runtime (default where it can run the model) or LibTorch.</summary>
    public InferenceEngine InferenceEngine => _engine.Engine;

    /// <summary>How many candidates each row has (the candidates column's vector size).</summary>
    public int CandidateCount => _columns.CandidateCount;

    /// <summary>The fine-tuned encoder (e.g. to save as a Hugging Face directory).</summary>
    public PretrainedEncoder Encoder => _encoder;

    /// <summary>The same model computed on another engine; encoder and head are shared, not copied.</summary>
    public MultipleChoiceTransformer WithInferenceEngine(InferenceEngine engine) =>
        new(_encoder, _model, _columns, BatchSize / ContextualEmbeddingTransformer.ReadAhead, engine);

    /// <summary>The probability of each candidate [question][candidate] (softmax across a question's candidates), without an IDataView.</summary>
    public float[][] Predict(IReadOnlyList<string> contexts, IReadOnlyList<IReadOnlyList<string>> candidates)
    {
        ArgumentNullException.ThrowIfNull(contexts);
        ArgumentNullException.ThrowIfNull(candidates);
        if (contexts.Count != candidates.Count) throw new ArgumentException($"{contexts.Count} contexts but {candidates.Count} candidate lists.", nameof(candidates));
        var tokenizer = _encoder.Tokenizer;
        var questions = contexts.Select((c, q) => (IReadOnlyList<Text.EncodedText>)[.. candidates[q].Select(a => tokenizer.EncodePair(c, a, _columns.MaxTokens))]).ToArray();
        return MultipleChoiceTuner.Probabilities(_engine.Predictor, questions);
    }

    private static BatchOutputColumn[] OutputsFor(Columns c) =>
    [
        new(c.Score, new VectorDataViewType(NumberDataViewType.Single, c.CandidateCount)),
        new(c.PredictedLabel, new KeyDataViewType(typeof(uint), c.CandidateCount)),
    ];

    /// <inheritdoc/>
    protected internal override void ComputeBatch(ColumnBatch batch)
    {
        var contexts = batch.Input<ReadOnlyMemory<char>>(0);
        var candidates = batch.Input<VBuffer<ReadOnlyMemory<char>>>(1);
        var texts = new string[batch.RowCount];
        var lists = new IReadOnlyList<string>[batch.RowCount];
        for (int i = 0; i < texts.Length; i++)
        {
            texts[i] = contexts[i].ToString();
            lists[i] = [.. candidates[i].DenseValues().Select(v => v.ToString())];
        }
        var probabilities = Predict(texts, lists);
        var score = batch.Output<VBuffer<float>>(0);
        var label = batch.Output<uint>(1);
        for (int i = 0; i < probabilities.Length; i++)
        {
            score[i] = new VBuffer<float>(probabilities[i].Length, probabilities[i]);
            label[i] = (uint)Array.IndexOf(probabilities[i], probabilities[i].Max()) + 1;
        }
    }

    /// <inheritdoc/>
    protected override void SaveModel(ModelSaveContext ctx) => ModelPersistence.Save<MultipleChoiceTransformer>(ctx, model =>
    {
        var w = model.Writer;
        var c = _columns;
        w.Write((int)_model.Pooling);
        w.Write(c.Context); w.Write(c.Candidates); w.Write(c.CandidateCount); w.Write(c.Score); w.Write(c.PredictedLabel); w.Write(c.MaxTokens);
        w.Write(BatchSize / ContextualEmbeddingTransformer.ReadAhead);
        w.Write((int)_requestedEngine);
        w.Write(_encoder.Name);
        EncoderPayload.Write(model, _encoder, _model.state_dict());
    });

    static PersistedModelInfo IPersistableModel<MultipleChoiceTransformer>.ModelInfo { get; } = new("MLNTCHOI", "MLNetTransferChoice", 1);

    static MultipleChoiceTransformer IPersistableModel<MultipleChoiceTransformer>.Load(PersistedModelReader model)
    {
        var r = model.Reader;
        var pooling = (PoolingMode)r.ReadInt32();
        var columns = new Columns(r.ReadString(), r.ReadString(), r.ReadInt32(), r.ReadString(), r.ReadString(), r.ReadInt32());
        int batchSize = r.ReadInt32();
        var engine = (InferenceEngine)r.ReadInt32();
        string name = r.ReadString();
        if (columns.CandidateCount < 2 || !Enum.IsDefined(engine) || !Enum.IsDefined(pooling))
            throw new ModelFormatException($"{model.Info.LoaderSignature}: {columns.CandidateCount} candidates, engine {(int)engine}, pooling {(int)pooling} are not a valid multiple-choice model.");
        var (network, vocabulary, tokenizerOptions, weights) = EncoderPayload.Read(model);
        try
        {
            var (encoder, transfer) = EncoderWithHeads.Assemble(network, n => Scorer(n, pooling), weights, name, vocabulary, tokenizerOptions, CPU, "model zip Weights.safetensors");
            return new MultipleChoiceTransformer(encoder, transfer, columns, batchSize, engine);
        }
        finally
        {
            foreach (var w in weights.Values) w.Dispose();
        }
    }

    /// <summary>The encoder with the one-output candidate scorer (a binary head named "choice").</summary>
    internal static TransferModel Scorer(TextEncoder encoder, PoolingMode pooling, double headDropout = 0) =>
        new(encoder, [new TaskSpec("choice", TaskKind.Binary, 1)], pooling, headDropout);
}
