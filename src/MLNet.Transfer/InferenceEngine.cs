namespace MLNet.Transfer;

/// <summary>
/// Which runtime computes a trained model's forward pass at inference (contextual embeddings, fine-tuned text
/// classifiers, token classifiers). Tokenization, windows, truncation, pooling, normalisation, thresholds and output columns are the same
/// on every engine; only the arithmetic of the encoder and heads runs elsewhere, with fp32 results equal to float rounding.
/// </summary>
public enum InferenceEngine
{
    /// <summary>
    /// The default: <see cref="OnnxRuntime"/> when the model can run there (a BERT-family encoder on the CPU whose pooling
    /// and heads our ONNX export covers, without opt-in bf16), else <see cref="LibTorch"/>.
    /// </summary>
    Auto,

    /// <summary>
    /// ONNX Runtime (CPU) over the library's own ONNX export of the model, built in memory once per transformer. Faster
    /// than LibTorch's fp32 path on CPUs where LibTorch's matrix multiplication is the bottleneck (see docs/performance.md).
    /// A model it cannot run (a recurrent or causal encoder, a GPU device, token-level output) is a clear error.
    /// </summary>
    OnnxRuntime,

    /// <summary>TorchSharp / LibTorch, the runtime the model was trained with (any architecture, CPU or CUDA, opt-in bf16).</summary>
    LibTorch,

    /// <summary>
    /// Opt-in, approximate: <see cref="OnnxRuntime"/> with the encoder's dense-layer weights quantized to int8 (symmetric,
    /// one scale per output feature) and each layer's input quantized at run time (dynamic int8 quantization, ONNX
    /// Runtime's DynamicQuantizeMatMul); embeddings, LayerNorm, attention softmax and GELU stay fp32. Faster, most of all on
    /// CPUs with int8 dot-product instructions (VNNI), at an accuracy cost measured in docs/performance.md (results also
    /// depend slightly on which texts share a batch). Never
    /// chosen by <see cref="Auto"/>; runs the models <see cref="OnnxRuntime"/> runs (the same errors otherwise). The
    /// weights stay fp32 in the model and in saved files; only the inference session holds them quantized.
    /// </summary>
    OnnxRuntimeInt8,
}
