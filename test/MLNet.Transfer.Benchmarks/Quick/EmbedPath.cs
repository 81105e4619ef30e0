namespace MLNet.Transfer.Benchmarks.Quick;

/// <summary>Which of our inference paths an embedding row times.</summary>
internal enum EmbedPath
{
    /// <summary>The default engine (InferenceEngine.Auto: ONNX Runtime over our export for a BERT encoder on the CPU).</summary>
    Default,
    /// <summary>fp32 LibTorch (InferenceEngine.LibTorch), for comparison.</summary>
    LibTorch,
    /// <summary>The opt-in bf16 LibTorch inference (BertModel.UseBFloat16Inference).</summary>
    BFloat16,
    /// <summary>The opt-in int8 ONNX Runtime engine (InferenceEngine.OnnxRuntimeInt8).</summary>
    Int8,
}
