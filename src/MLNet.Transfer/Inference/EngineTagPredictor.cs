using MLNet.Transfer.Models.Tagging;
using MLNet.Transfer.Onnx;
using MLNet.Transfer.Text;
using MLNet.Transfer.Text.Tagging;

namespace MLNet.Transfer.Inference;

/// <summary>
/// A <see cref="TagPredictor"/> whose forward passes run on the engine resolved from the user's
/// <see cref="InferenceEngine"/>: on ONNX Runtime, each padded batch of windows goes through our export of the tagger up
/// to its emission scores (encoder, first-piece gather, scalar mix, casing vectors, BiLSTM, linear layer); decoding
/// (argmax, or BIO-constrained Viterbi with the CRF's scores), the tag probabilities and the stitching of windows are the
/// same C# code on both engines.
/// </summary>
internal sealed class EngineTagPredictor
{
    /// <summary>Resolves the engine and builds the predictor (the ONNX Runtime session is built on first use).</summary>
    /// <param name="model">The tagger (eval mode).</param>
    /// <param name="tokenizer">Its tokenizer.</param>
    /// <param name="maxTokens">Tokens per window.</param>
    /// <param name="batchSize">Windows per forward pass.</param>
    /// <param name="requested">The user's engine choice.</param>
    /// <exception cref="NotSupportedException"><paramref name="requested"/> is OnnxRuntime and the model cannot run there.</exception>
    public EngineTagPredictor(TaggingModel model, BertWordPieceTokenizer tokenizer, int maxTokens, int batchSize, InferenceEngine requested)
        : this(new TaggerModelSource(model), tokenizer, maxTokens, batchSize, requested)
    {
    }

    /// <summary>
    /// The same for a tagger that may still be in its weights file: ONNX Runtime then exports from the file and decoding
    /// reads the CRF's scores from it, and only LibTorch builds the TorchSharp module.
    /// </summary>
    public EngineTagPredictor(TaggerModelSource model, BertWordPieceTokenizer tokenizer, int maxTokens, int batchSize, InferenceEngine requested)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        Engine = model.DeferredEncoder is { } encoder
            ? InferenceEngines.Resolve(requested, encoder, pooling: null)
            : InferenceEngines.Resolve(requested, model.Model.Encoder, pooling: null,
                                       model.Model.SharesEncoder ? "a tagging head over a shared encoder is exported with the model that owns the encoder" : null);
        if (Engine == InferenceEngine.LibTorch)
        {
            Predictor = new TagPredictor(model.Model, tokenizer, maxTokens, batchSize);
            return;
        }
        var export = InferenceEngines.ExportOptions(Engine);
        var session = new LazyOnnxSession(stream => model.WriteEmissionsOnnx(stream, export), tokenizer.PadId);
        Predictor = OverSession(model.Spec, model.CrfScores, tokenizer, maxTokens, batchSize, session, TaggerOnnxExport.Emissions, model.Spec.CasingFeatures);
    }

    /// <summary>
    /// A predictor of tagger <paramref name="spec"/> (windows of <paramref name="maxTokens"/> tokens from
    /// <paramref name="tokenizer"/>, <paramref name="batchSize"/> per forward pass) whose forward pass runs
    /// <paramref name="session"/> (an export whose <paramref name="output"/> is the tagger's emissions) on each padded batch
    /// of windows; decoding uses <paramref name="crfScores"/> (null: argmax).
    /// </summary>
    /// <param name="spec">The tag set and head.</param>
    /// <param name="crfScores">The CRF's scores, read on the first prediction.</param>
    /// <param name="tokenizer">The tokenizer.</param>
    /// <param name="maxTokens">Tokens per window.</param>
    /// <param name="batchSize">Windows per forward pass.</param>
    /// <param name="session">The session.</param>
    /// <param name="output">Its emissions output.</param>
    /// <param name="wordShapes">Whether the export takes <see cref="TaggerOnnxExport.WordShapes"/> (fed even for a head without casing features that shares the session).</param>
    internal static TagPredictor OverSession(TaggerSpec spec, Func<(float[] Start, float[] End, float[,] Transitions)?> crfScores, BertWordPieceTokenizer tokenizer,
                                             int maxTokens, int batchSize, LazyOnnxSession session, string output, bool wordShapes)
    {
        string[] outputs = [output];
        return new TagPredictor(spec, crfScores, tokenizer, maxTokens, batchSize, windows =>
        {
            long[] shape = [windows.Count, TaggingBatches.WordWidth(windows)];
            var inputs = new List<OnnxRuntimeSession.Int64Input> { new(TaggerOnnxExport.WordPositions, TaggingBatches.PerWord(windows, w => w.FirstPieces), shape) };
            if (wordShapes) inputs.Add(new(TaggerOnnxExport.WordShapes, TaggingBatches.PerWord(windows, w => w.Shapes), shape));
            return session.Run(windows.Select(w => w.Tokens).ToArray(), outputs, inputs)[0];
        });
    }

    /// <summary>The predictor.</summary>
    public TagPredictor Predictor { get; }

    /// <summary>The engine that runs: <see cref="InferenceEngine.OnnxRuntime"/>, <see cref="InferenceEngine.OnnxRuntimeInt8"/> or <see cref="InferenceEngine.LibTorch"/>.</summary>
    public InferenceEngine Engine { get; }
}
