using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transfer.Checkpoints;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.Inference;
using MLNet.Transfer.Models.Tagging;
using static TorchSharp.torch;

namespace MLNet.Transfer.MLNetIntegration;

/// <summary>
/// A trained tagger applied to a words column (vector of text, one sentence per row). Adds PredictedLabel — a vector of keys,
/// one per word, whose KeyValues are the tag names (so <c>MapKeyToValue</c> gives the tags as text) — and Score, the
/// probability of each predicted tag. Long sentences are read in overlapping windows and stitched back, so every word is
/// tagged. One PredictionEngine call tags one sentence; prediction is thread-safe. The forward passes run on
/// <see cref="InferenceEngine"/> (by default ONNX Runtime over our export of the tagger up to its emission scores, built on
/// first use); decoding — argmax, or the CRF's BIO-constrained Viterbi — is the same code on every engine. Saved with
/// <c>mlContext.Model.Save</c> (weights, vocabulary, tags and the engine choice inside the zip); call
/// <c>mlContext.RegisterTransferComponents()</c> before loading.
/// </summary>
public sealed class TokenClassificationTransformer : BatchedTransformerBase, IPersistableModel<TokenClassificationTransformer>
{
    private readonly PretrainedEncoder _encoder;
    private readonly TaggerModelSource _model;
    private readonly Columns _columns;
    private readonly InferenceEngine _requestedEngine;
    private readonly EngineTagPredictor _engine;
    private readonly TagPredictor _predictor;

    /// <summary>Column names and the window size.</summary>
    internal sealed record Columns(string Tokens, string PredictedLabel, string Score, int MaxTokens);

    internal TokenClassificationTransformer(PretrainedEncoder encoder, TaggingModel model, Columns columns, int batchSize,
                                            InferenceEngine engine = InferenceEngine.Auto)
        : this(encoder, new TaggerModelSource(model), columns, batchSize, engine)
    {
    }

    // model: built, or (loaded from a zip) still in its weights file until LibTorch or an export needs the module.
    private TokenClassificationTransformer(PretrainedEncoder encoder, TaggerModelSource model, Columns columns, int batchSize, InferenceEngine engine)
        : base([new BatchInputColumn(columns.Tokens, new VectorDataViewType(TextDataViewType.Instance))], Outputs(columns, model.Spec.Tags),
               batchSize * ContextualEmbeddingTransformer.ReadAhead)
    {
        _encoder = encoder;
        _model = model;
        _columns = columns;
        _requestedEngine = engine;
        _engine = new EngineTagPredictor(model, encoder.Tokenizer, columns.MaxTokens, batchSize, engine);
        _predictor = _engine.Predictor;
    }

    /// <summary>
    /// The runtime computing the emission scores: <see cref="InferenceEngine.OnnxRuntime"/> (or the opt-in
    /// <see cref="InferenceEngine.OnnxRuntimeInt8"/>) or <see cref="InferenceEngine.LibTorch"/>, resolved from
    /// <see cref="TokenClassifierOptions.InferenceEngine"/> (Auto falls back to LibTorch for an encoder other than a
    /// bidirectional BERT, a GPU device or bf16 inference).
    /// </summary>
    public InferenceEngine InferenceEngine => _engine.Engine;

    /// <summary>
    /// The same tagger computed on another engine (e.g. <see cref="InferenceEngine.LibTorch"/> for a model saved with the
    /// default); encoder and head are shared, not copied.
    /// </summary>
    /// <exception cref="NotSupportedException"><paramref name="engine"/> is OnnxRuntime and cannot run this tagger.</exception>
    public TokenClassificationTransformer WithInferenceEngine(InferenceEngine engine) =>
        new(_encoder, _model, _columns, BatchSize / ContextualEmbeddingTransformer.ReadAhead, engine);

    /// <summary>The same tagger with its own copy of the weights on <paramref name="device"/> (see <see cref="DeviceCatalog.WithDevice"/>).</summary>
    internal TokenClassificationTransformer CopyTo(Device device)
    {
        var (encoder, model) = EncoderWithHeads.CopyTo(_encoder, _model.Model, network => new TaggingModel(network, _model.Spec, 0), device);
        return new TokenClassificationTransformer(encoder, model, _columns, BatchSize / ContextualEmbeddingTransformer.ReadAhead, _requestedEngine);
    }

    /// <summary>The tag set, by key − 1.</summary>
    public IReadOnlyList<string> Tags => _model.Spec.Tags;

    /// <summary>The head (linear or CRF) and whether the encoder was frozen.</summary>
    public TaggerSpec Spec => _model.Spec;

    /// <summary>Tokens per window.</summary>
    public int MaxTokens => _columns.MaxTokens;

    /// <summary>The (fine-tuned) encoder.</summary>
    public PretrainedEncoder Encoder => _encoder;

    /// <summary>The tagging network (for ONNX export); a tagger loaded with its weights still in the file builds it now.</summary>
    internal TaggingModel Model => _model.Model;

    /// <summary>The words column this transformer reads.</summary>
    internal string TokensColumn => _columns.Tokens;

    /// <summary>Tags each sentence (words in, one tag name per word out) without going through an IDataView.</summary>
    public string[][] Predict(IReadOnlyList<IReadOnlyList<string>> sentences) =>
        _predictor.Predict(sentences).Select(p => p.Tags.Select(t => Tags[t]).ToArray()).ToArray();

    private static BatchOutputColumn[] Outputs(Columns c, string[] tags) => TagSequenceColumns.OutputColumns(c.PredictedLabel, c.Score, tags);

    /// <inheritdoc/>
    protected internal override void ComputeBatch(ColumnBatch batch) =>
        TagSequenceColumns.Fill(_predictor.Predict(TagSequenceColumns.Words(batch, 0)), batch, 0);

    /// <inheritdoc/>
    protected override void SaveModel(ModelSaveContext ctx) => ModelPersistence.Save<TokenClassificationTransformer>(ctx, model =>
    {
        var w = model.Writer;
        w.Write(_columns.Tokens); w.Write(_columns.PredictedLabel); w.Write(_columns.Score); w.Write(_columns.MaxTokens);
        w.Write(BatchSize / ContextualEmbeddingTransformer.ReadAhead);
        w.Write((int)Spec.Head); w.Write(Spec.FeaturesOnly); w.Write(Spec.BiLstmHidden); w.Write(Spec.CasingFeatures);
        w.Write(Tags.Count);
        foreach (var t in Tags) w.Write(t);
        w.Write(_encoder.Name);
        w.Write((int)_requestedEngine);
        EncoderPayload.Write(model, _encoder, _model.WriteStateDict);
    });

    static PersistedModelInfo IPersistableModel<TokenClassificationTransformer>.ModelInfo { get; } = new("MLNTTAGR", "MLNetTransferTagger", 3, 3, 1); // v2: the features route's BiLSTM, casing features; v3: the inference engine

    static TokenClassificationTransformer IPersistableModel<TokenClassificationTransformer>.Load(PersistedModelReader model)
    {
        var r = model.Reader;
        var columns = new Columns(r.ReadString(), r.ReadString(), r.ReadString(), r.ReadInt32());
        int batchSize = r.ReadInt32();
        var head = (TaggingHead)r.ReadInt32();
        bool featuresOnly = r.ReadBoolean();
        int biLstmHidden = model.VersionWritten >= 2 ? r.ReadInt32() : 0; // v2 added the features route's BiLSTM and casing features
        bool casing = model.VersionWritten >= 2 && r.ReadBoolean();
        var tags = new string[r.ReadInt32()];
        for (int i = 0; i < tags.Length; i++) tags[i] = r.ReadString();
        string name = r.ReadString();
        var engine = model.VersionWritten >= 3 ? (InferenceEngine)r.ReadInt32() : InferenceEngine.Auto;
        if (!Enum.IsDefined(engine)) throw new ModelFormatException($"{model.Info.LoaderSignature}: unknown inference engine {(int)engine}.");
        if (!Enum.IsDefined(head) || tags.Length < 2 || columns.MaxTokens < 3 || batchSize < 1 || biLstmHidden < 0)
            throw new ModelFormatException($"{model.Info.LoaderSignature}: invalid header (head {head}, {tags.Length} tags, MaxTokens {columns.MaxTokens}).");
        var spec = new TaggerSpec(tags, head, featuresOnly, biLstmHidden, casing);
        var description = EncoderPayload.ReadDescription(model);
        // A BERT tagger that may run on ONNX Runtime keeps its weights in the file until LibTorch or an export needs the module.
        if (engine != InferenceEngine.LibTorch &&
            EncoderPayload.TryReadDeferred(model, description, name, config => TaggerModelSource.HeadWeights(config, spec)) is var (deferredEncoder, deferred))
            return new TokenClassificationTransformer(deferredEncoder, new TaggerModelSource(deferredEncoder, deferred, spec), columns, batchSize, engine);
        var (network, vocabulary, tokenizerOptions, weights) = EncoderPayload.Read(model, description);
        try
        {
            var (encoder, tagger) = EncoderWithHeads.Assemble(network, n => new TaggingModel(n, spec, 0),
                                                              weights, name, vocabulary, tokenizerOptions, CPU, "model zip Weights.safetensors");
            return new TokenClassificationTransformer(encoder, tagger, columns, batchSize, engine);
        }
        finally
        {
            foreach (var w in weights.Values) w.Dispose();
        }
    }
}
