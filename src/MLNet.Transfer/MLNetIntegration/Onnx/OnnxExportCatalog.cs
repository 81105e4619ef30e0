using MLNet.Transfer;
using MLNet.Transfer.Onnx;
using MLNet.Transfer.MLNetIntegration;

namespace Microsoft.ML;

/// <summary>ONNX export of MLNet.Transfer models from <c>mlContext.Model</c>, next to ML.NET's own <c>ConvertToOnnx</c>.</summary>
public static class OnnxExportCatalog
{
    /// <summary>
    /// Writes the fine-tuned transformer, tagger or contextual embeddings in <paramref name="model"/> (the transformer itself,
    /// or a pipeline such as a loaded model.zip that contains exactly one) as an ONNX model: int64 inputs input_ids,
    /// attention_mask and token_type_ids [batch, sequence]; outputs per task "logits" / "probabilities" (regression:
    /// "prediction"), prefixed "&lt;task&gt;." for several tasks, or "sentence_embedding" for embeddings. A tagger
    /// (<see cref="TokenClassificationTransformer"/>) also takes "word_positions" (and, with casing features, "word_shapes")
    /// [batch, words] and outputs per-word "emissions", "probabilities" and "predicted_tags" (argmax, or the CRF's constrained
    /// Viterbi path; see <see cref="TaggerOnnxExport"/>). Only that transformer is exported: tokenization, windows and other
    /// pipeline steps (e.g. a trainer appended to embeddings) are not.
    /// </summary>
    /// <remarks>
    /// To run the file with ML.NET's <c>ApplyOnnxModel</c>, give the token columns as known-size int64 vectors padded to a
    /// fixed length L and pass a shape dictionary mapping each of the three inputs to [1, L]: ML.NET feeds one row at a time
    /// and cannot infer two dynamic dimensions. The tokenizer's vocabulary and settings are in the model's metadata_props
    /// ("mlnet_transfer.vocab", "mlnet_transfer.do_lower_case", "mlnet_transfer.max_tokens", ...).
    /// </remarks>
    /// <exception cref="ArgumentException">The model holds no MLNet.Transfer transformer, or several.</exception>
    /// <exception cref="NotSupportedException">Token-level or windowed embeddings, a causal or recurrent encoder, or weights over 2 GiB.</exception>
    public static void ExportTransferModelToOnnx(this ModelOperationsCatalog catalog, ITransformer model, Stream stream, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        TransferOnnxExport.Write(model, stream, options);
    }

    /// <summary>
    /// Writes the model to <paramref name="path"/> atomically: a temp file beside it is renamed over it only when complete,
    /// so a failure never leaves a half-written file. See <see cref="ExportTransferModelToOnnx(ModelOperationsCatalog, ITransformer, Stream, OnnxExportOptions?)"/>.
    /// </summary>
    public static void ExportTransferModelToOnnx(this ModelOperationsCatalog catalog, ITransformer model, string path, OnnxExportOptions? options = null) =>
        TransferOnnxExport.Save(path, stream => TransferOnnxExport.Write(model, stream, options));
}
