using static TorchSharp.torch;

namespace MLNet.Transfer.Models;

/// <summary>
/// What the featurizer, the task heads and the trainers need from an encoder, whatever its architecture (the BERT
/// transformer, the AWD-LSTM, the bidirectional LSTM): every layer's token states for a padded batch, their widths,
/// and which layer each parameter belongs to (the depth behind discriminative learning rates and gradual unfreezing).
/// </summary>
public abstract class TextEncoder : nn.Module, IEncoderShape
{
    /// <summary>Registers the module under <paramref name="name"/> (TorchSharp's module name).</summary>
    protected TextEncoder(string name) : base(name) { }

    /// <summary>
    /// The <c>config.json</c> "model_type" of this architecture ("bert", "awd-lstm", "bilstm"); saved directories and
    /// model zips are rebuilt from it (see <see cref="EncoderFactory"/>).
    /// </summary>
    public abstract string ModelType { get; }

    /// <summary>Number of layers above the embeddings: <see cref="Forward"/> returns this many states plus one.</summary>
    public abstract int LayerCount { get; }

    /// <summary>Width of the last layer's token states (what task heads and the default featurizer see).</summary>
    public int HiddenSize => LayerWidth(LayerCount);

    /// <summary>Width of hidden state <paramref name="layer"/> (0 = embeddings … <see cref="LayerCount"/> = top).</summary>
    public abstract int LayerWidth(int layer);

    /// <summary>Longest sequence, in tokens including [CLS]/[SEP], the encoder accepts (a transformer's position table).</summary>
    public abstract int MaxTokens { get; }

    /// <summary>Number of token ids the embedding table covers (config.json's "vocab_size"); a vocabulary may be smaller, never larger.</summary>
    public abstract int VocabSize { get; }

    /// <summary>Whether this model's tokenizer lower-cases its input (tokenizer_config.json's "do_lower_case").</summary>
    public abstract bool LowerCase { get; }

    /// <summary>
    /// The name a task model (this encoder plus heads) stores the encoder under — its state-dict key prefix, without the
    /// dot. Task models know two: "bert" for a BERT (the prefix of Hugging Face's BertFor… models, so their checkpoints
    /// load by name) and "encoder", the default, for every other architecture.
    /// </summary>
    public virtual string TaskModelPrefix => "encoder";

    /// <summary>True after <see cref="UseBFloat16Inference"/> turned bfloat16 inference on; always false for an architecture without it.</summary>
    public virtual bool BFloat16Inference => false;

    /// <summary>
    /// Opt-in bfloat16 inference for the dense layers (training stays fp32). Only the BERT transformer implements it
    /// (see <see cref="Bert.BertModel.UseBFloat16Inference"/>); the default throws.
    /// </summary>
    /// <param name="enabled">True to use bf16 for inference, false for fp32.</param>
    /// <exception cref="NotSupportedException">The architecture has no bf16 inference.</exception>
    public virtual void UseBFloat16Inference(bool enabled = true) =>
        throw new NotSupportedException($"bf16 inference is implemented for BERT encoders only, not '{ModelType}'.");

    /// <summary>Standard deviation for initialising new task heads on top of this encoder.</summary>
    public virtual double InitializerRange => 0.02;

    /// <summary>The device holding the weights.</summary>
    public abstract Device Device { get; }

    /// <summary>
    /// Encodes a padded batch into <see cref="LayerCount"/> + 1 hidden states [batch, seq, width]: the embedding
    /// output first, the top layer's last (Hugging Face's output_hidden_states). Dropout applies in training mode only.
    /// </summary>
    /// <param name="inputIds">Token ids, int64 [batch, seq].</param>
    /// <param name="tokenTypeIds">Segment ids, int64 [batch, seq] (ignored by architectures without segments).</param>
    /// <param name="attentionMask">1 for real tokens, 0 for padding (right-padded), [batch, seq]; null means no padding.</param>
    public abstract Tensor[] Forward(Tensor inputIds, Tensor tokenTypeIds, Tensor? attentionMask);

    /// <summary>
    /// The layer a parameter belongs to, for a name relative to this module: 0 = embeddings, i = the i-th layer
    /// above them (1-based), so depth from the top is <see cref="LayerCount"/> + 1 − this.
    /// </summary>
    public abstract int LayerOf(string parameterName);

    /// <summary>The architecture as <c>config.json</c> text (with "model_type"), enough to rebuild an untrained copy.</summary>
    public abstract string ToConfigJson();
}
