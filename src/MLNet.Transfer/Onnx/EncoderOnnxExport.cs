using MLNet.Transfer.Encoders;
using System.Globalization;
using MLNet.Transfer.Checkpoints;
using MLNet.Transfer.Onnx;
using MLNet.Transfer.Models;
using MLNet.Transfer.Text;

namespace MLNet.Transfer.Onnx;

/// <summary>
/// ONNX export of a <see cref="PretrainedEncoder"/> (pretrained, domain-adapted or contrastively tuned) as a sentence
/// embedder: the same vectors as <see cref="PretrainedEncoder.Embed"/> with the same <see cref="EmbeddingSettings"/>, for
/// texts tokenized outside the graph. The tokenizer's vocabulary and settings go into the file's metadata.
/// </summary>
public static class EncoderOnnxExport
{
    /// <summary>
    /// Writes the encoder with output <see cref="OnnxExport.SentenceEmbedding"/>, float [batch, width]: the selected layers
    /// pooled, combined and (optionally) normalised as <paramref name="settings"/> say (default: last layer, mean pooling).
    /// </summary>
    /// <exception cref="NotSupportedException">Windows (<see cref="EmbeddingSettings.WindowStride"/> &gt; 0) are combined outside a forward pass, so they cannot be exported.</exception>
    public static void WriteOnnx(this PretrainedEncoder encoder, Stream stream, EmbeddingSettings? settings = null, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(stream);
        settings ??= new EmbeddingSettings();
        // Weights still in their file are exported from it, without building the TorchSharp module.
        BertConfig config;
        ExportWeights weights;
        if (encoder.Deferred is { } deferred) (config, weights) = (deferred.Config, deferred.ForExport());
        else
        {
            var bert = OnnxExport.RequireBert(encoder.Model);
            (config, weights) = (bert.Config, ExportWeights.Of(bert.state_dict()));
        }
        var shape = new BertShape(config);
        settings.Validate(shape);
        if (settings.WindowStride > 0)
            throw new NotSupportedException("Embeddings averaged over windows (WindowStride > 0) cannot be exported to ONNX: the graph embeds one token sequence. Set WindowStride to 0.");
        var layers = settings.ResolveLayers(shape.LayerCount);
        var pooling = new SentencePooling(layers, settings.Pooling, settings.Combination == LayerCombination.Concatenate,
                                          settings.NormalizedMixWeights(), settings.Normalize);
        var metadata = TokenizerMetadata(encoder, settings.EffectiveMaxTokens(shape.MaxTokens), settings.Truncation);
        metadata["mlnet_transfer.pooling"] = settings.Pooling.ToString();
        metadata["mlnet_transfer.layers"] = string.Join(",", layers);
        metadata["mlnet_transfer.layer_combination"] = settings.Combination.ToString();
        metadata["mlnet_transfer.normalize"] = settings.Normalize ? "true" : "false";
        OnnxExport.WriteEncoder(config, weights, pooling, stream, options, metadata);
    }

    /// <summary>Writes the encoder to <paramref name="path"/> atomically (temp file, then rename); see <see cref="WriteOnnx"/>.</summary>
    public static void SaveAsOnnx(this PretrainedEncoder encoder, string path, EmbeddingSettings? settings = null, OnnxExportOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(encoder);
        AtomicFile.Write(path, stream => encoder.WriteOnnx(stream, settings, options));
    }

    /// <summary>
    /// What a host needs to tokenize like this library: the WordPiece vocabulary (one token per line, by id), casing, the
    /// [PAD] id and the token budget with its truncation strategy.
    /// </summary>
    internal static Dictionary<string, string> TokenizerMetadata(PretrainedEncoder encoder, int maxTokens, TruncationStrategy truncation) => new()
    {
        ["mlnet_transfer.vocab"] = string.Join("\n", encoder.Vocabulary),
        ["mlnet_transfer.do_lower_case"] = encoder.Tokenizer.LowerCase ? "true" : "false",
        // Every tokenizer setting (accents, CJK splitting, special tokens), in transformers' tokenizer_config.json form.
        ["mlnet_transfer.tokenizer_config"] = HuggingFaceTokenizerFiles.ToTokenizerConfig(encoder.Tokenizer.Options, maxTokens).ToJsonString(),
        ["mlnet_transfer.pad_token_id"] = encoder.Tokenizer.PadId.ToString(CultureInfo.InvariantCulture),
        ["mlnet_transfer.max_tokens"] = maxTokens.ToString(CultureInfo.InvariantCulture),
        ["mlnet_transfer.truncation"] = truncation.ToString(),
    };
}
