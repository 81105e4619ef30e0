using MLNet.Transfer.Text;

namespace MLNet.Transfer.Inference;

/// <summary>
/// An <see cref="OnnxRuntimeSession"/> exported and opened on first use (once, even under concurrent first calls), so a
/// transformer that is only saved, or only fitted and replaced, never pays for the export. The session holds the weights
/// as they were at that first use.
/// </summary>
/// <remarks>
/// Deliberately not <see cref="IDisposable"/>, nor are the transformers holding it: ML.NET's <c>PredictionEngine</c>
/// disposes the transformer it was made from when it is itself disposed (its default <c>OwnsTransformer</c>), so a
/// disposable transformer would stop working after the first <c>using var engine = ...</c>. The native session is
/// released when its owner is garbage collected (ONNX Runtime's own finalizer).
/// </remarks>
internal sealed class LazyOnnxSession
{
    private readonly Lazy<OnnxRuntimeSession> _session;

    /// <summary>Will export the model with <paramref name="writeModel"/>; see <see cref="OnnxRuntimeSession(Action{Stream}, int)"/>.</summary>
    public LazyOnnxSession(Action<Stream> writeModel, int padId) =>
        _session = new(() => new OnnxRuntimeSession(writeModel, padId), LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Runs one padded batch; see <see cref="OnnxRuntimeSession.Run"/>.</summary>
    public float[][] Run(IReadOnlyList<EncodedText> batch, IReadOnlyList<string> outputs, IReadOnlyList<OnnxRuntimeSession.Int64Input>? extraInputs = null) =>
        _session.Value.Run(batch, outputs, extraInputs);
}
