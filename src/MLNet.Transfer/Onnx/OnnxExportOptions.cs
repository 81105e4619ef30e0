namespace MLNet.Transfer.Onnx;

/// <summary>What an ONNX export adds besides its main outputs.</summary>
public sealed record OnnxExportOptions
{
    /// <summary>
    /// Also output the last block's token states as <see cref="OnnxExport.LastHiddenState"/>, float [batch, sequence, hidden]
    /// (padding positions included; mask them with attention_mask). Default false.
    /// </summary>
    public bool IncludeLastHiddenState { get; init; }

    /// <summary>
    /// Extra string entries for the model's metadata_props (readable with ONNX Runtime's <c>ModelMetadata.CustomMetadataMap</c>).
    /// Entries the exporter writes itself (keys starting with "mlnet_transfer.") win over these. Default none.
    /// </summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }

    /// <summary>
    /// Emit the encoder's linear layers as ONNX Runtime's DynamicQuantizeMatMul over int8 weights (see
    /// <see cref="InferenceEngine.OnnxRuntimeInt8"/>); the model then runs in ONNX Runtime only. Default false (portable fp32).
    /// </summary>
    internal bool Int8Weights { get; init; }
}
