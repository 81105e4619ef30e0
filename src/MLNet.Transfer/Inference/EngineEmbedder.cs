using MLNet.Transfer.Encoders;
using MLNet.Transfer.Onnx;

namespace MLNet.Transfer.Inference;

/// <summary>
/// A <see cref="SentenceEmbedder"/> whose forward passes run on the engine resolved from the user's
/// <see cref="InferenceEngine"/>: on ONNX Runtime, each padded batch goes through our export of the encoder with the same
/// layers, pooling and layer combination; windows are averaged and vectors normalised afterwards, as on LibTorch.
/// </summary>
internal sealed class EngineEmbedder
{
    private static readonly string[] Outputs = [OnnxExport.SentenceEmbedding];

    /// <summary>Resolves the engine and builds the embedder (the ONNX Runtime session is built on first use).</summary>
    /// <param name="encoder">The encoder.</param>
    /// <param name="settings">Pooling, layers, normalisation, token budget, windows, batch size.</param>
    /// <param name="requested">The user's engine choice.</param>
    /// <param name="tokenLevel">Token-level output (one vector per word piece), which runs on LibTorch.</param>
    /// <exception cref="NotSupportedException"><paramref name="requested"/> is OnnxRuntime and the model cannot run there.</exception>
    public EngineEmbedder(PretrainedEncoder encoder, EmbeddingSettings settings, InferenceEngine requested, bool tokenLevel = false)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(settings);
        Engine = InferenceEngines.Resolve(requested, encoder, settings.Pooling,
                                          tokenLevel ? "token-level output (a vector per word piece) is computed on LibTorch" : null);
        if (Engine == InferenceEngine.LibTorch)
        {
            Embedder = new SentenceEmbedder(encoder, settings);
            return;
        }
        var perBatch = settings with { Normalize = false, WindowStride = 0 };
        var export = InferenceEngines.ExportOptions(Engine);
        var session = new LazyOnnxSession(stream => encoder.WriteOnnx(stream, perBatch, export), encoder.Tokenizer.PadId);
        Embedder = new SentenceEmbedder(encoder, settings, batch => session.Run(batch, Outputs)[0]);
    }

    /// <summary>The embedder.</summary>
    public SentenceEmbedder Embedder { get; }

    /// <summary>The engine that runs: <see cref="InferenceEngine.OnnxRuntime"/>, <see cref="InferenceEngine.OnnxRuntimeInt8"/> or <see cref="InferenceEngine.LibTorch"/>.</summary>
    public InferenceEngine Engine { get; }
}
