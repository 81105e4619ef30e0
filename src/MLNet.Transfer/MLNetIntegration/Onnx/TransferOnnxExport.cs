using System.Globalization;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transfer.Checkpoints;
using MLNet.Transfer.Onnx;
using MLNet.Transfer.Encoders;

namespace MLNet.Transfer.MLNetIntegration;

/// <summary>
/// ONNX export of the ML.NET transformers: finds the transformer in a pipeline and adds what only the ML.NET layer knows
/// (column names, class names, token budget) to the file's metadata. The graphs themselves come from <see cref="OnnxExport"/>.
/// </summary>
internal static class TransferOnnxExport
{
    /// <summary>Writes whichever transfer transformer <paramref name="model"/> is or contains (exactly one).</summary>
    public static void Write(ITransformer model, Stream stream, OnnxExportOptions? options)
    {
        switch (Find(model))
        {
            case FineTunedTextTransformer fineTuned: Write(fineTuned, stream, options); break;
            case ContextualEmbeddingTransformer embeddings: Write(embeddings, stream, options); break;
            case TokenClassificationTransformer tagger: Write(tagger, stream, options); break;
        }
    }

    /// <summary>Writes a fine-tuned model: every head's logits (or regression prediction) and probabilities.</summary>
    public static void Write(FineTunedTextTransformer transformer, Stream stream, OnnxExportOptions? options)
    {
        if (transformer.Tasks.FirstOrDefault(t => t.Kind == TaskKind.Tagging) is { } tagging)
            throw new NotSupportedException($"Task '{tagging.Name}' is a tagging task: exporting a multi-task model with a tagging head to ONNX is not supported yet; " +
                                            "export a model without tagging tasks, or the tagger trained on its own.");
        if (transformer.SymmetricPairs)
            throw new NotSupportedException("This model scores sentence pairs on both orderings (SymmetricPairs), which the ONNX file's single forward pass does not do; " +
                                            "predict through ML.NET (it runs on ONNX Runtime by default) instead.");
        var input = transformer.Input;
        var metadata = EncoderOnnxExport.TokenizerMetadata(transformer.Encoder, input.MaxTokens, input.Truncation);
        metadata["mlnet_transfer.text_columns"] = JsonSerializer.Serialize(input.SecondText is null ? [input.Text] : new[] { input.Text, input.SecondText });
        metadata["mlnet_transfer.window_stride"] = input.WindowStride.ToString(CultureInfo.InvariantCulture);
        metadata["mlnet_transfer.labels"] = JsonSerializer.Serialize(
            transformer.Tasks.Zip(transformer.TaskOutputs).ToDictionary(p => p.First.Name, p => p.Second.Names));
        // Binary heads export raw logits; ML.NET's Score is the logit minus the task's decision threshold.
        metadata["mlnet_transfer.decision_thresholds"] = JsonSerializer.Serialize(
            transformer.Tasks.Zip(transformer.TaskOutputs).ToDictionary(p => p.First.Name, p => p.Second.Threshold));
        OnnxExport.Write(transformer.Model, stream, Merge(options, metadata));
    }

    /// <summary>Writes a contextual-embedding transformer's encoder with its pooling, layers and normalisation.</summary>
    public static void Write(ContextualEmbeddingTransformer transformer, Stream stream, OnnxExportOptions? options)
    {
        var settings = transformer.Options;
        if (settings.TokenLevel)
            throw new NotSupportedException("Token-level embeddings cannot be exported as such; export the encoder with OnnxExportOptions.IncludeLastHiddenState instead.");
        var metadata = new Dictionary<string, string> { ["mlnet_transfer.text_columns"] = JsonSerializer.Serialize(
            settings.SecondInputColumnName is null ? [settings.InputColumnName] : new[] { settings.InputColumnName, settings.SecondInputColumnName }) };
        transformer.Encoder.WriteOnnx(stream, settings.ToSettings(transformer.Encoder), Merge(options, metadata));
    }

    /// <summary>
    /// Writes a tagger: per-word emissions and probabilities (linear head: predicted tags; CRF head: its scores), with the
    /// tokenizer, the words column and the window policy in the metadata (see <see cref="TaggerOnnxExport"/>).
    /// </summary>
    public static void Write(TokenClassificationTransformer transformer, Stream stream, OnnxExportOptions? options)
    {
        var metadata = EncoderOnnxExport.TokenizerMetadata(transformer.Encoder, transformer.MaxTokens, default);
        metadata.Remove("mlnet_transfer.truncation"); // taggers never truncate: long sentences are read in windows
        metadata["mlnet_transfer.tokens_column"] = transformer.TokensColumn;
        metadata["mlnet_transfer.window_policy"] = WindowPolicy;
        TaggerOnnxExport.Write(transformer.Model, stream, Merge(options, metadata));
    }

    /// <summary>How <see cref="Text.Tagging.WordPieceAlignment"/> turns a sentence of words into rows of the graph.</summary>
    internal const string WindowPolicy =
        "Each word is tokenized alone (no pieces: [UNK]; more than max_tokens-2 pieces: the first max_tokens-2). A row is [CLS] + the pieces " +
        "of consecutive words + [SEP] (token_type_ids 0, attention_mask 1), at most max_tokens long; word_positions holds the index of the " +
        "first piece of each word the row predicts. A sentence that does not fit is split at word boundaries into greedy windows filling " +
        "max_tokens-2 pieces, each next window starting so that up to (max_tokens-2)/2 pieces of context overlap; each word is predicted by " +
        "the window giving it the most context on its poorer side (min of words before and after it; earliest window on ties; a word's window is never " +
        "before the previous word's), windows that predict no word are dropped, and the windows' per-word results are stitched back in order. CRF decoding runs per window.";

    /// <summary>Writes atomically to <paramref name="path"/> (temp file, then rename).</summary>
    public static void Save(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        AtomicFile.Write(path, write);
    }

    private static OnnxExportOptions Merge(OnnxExportOptions? options, Dictionary<string, string> metadata)
    {
        foreach (var (key, value) in options?.Metadata ?? new Dictionary<string, string>()) metadata.TryAdd(key, value);
        return (options ?? new OnnxExportOptions()) with { Metadata = metadata };
    }

    private static ITransformer Find(ITransformer model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (IsExportable(model)) return model;
        var found = Flatten(model).Where(IsExportable).ToList();
        return found.Count switch
        {
            1 => found[0],
            0 => throw new ArgumentException("The model contains no fine-tuned transformer, tagger or contextual embeddings to export to ONNX.", nameof(model)),
            _ => throw new ArgumentException($"The model contains {found.Count} MLNet.Transfer transformers; export each one separately.", nameof(model)),
        };
    }

    private static bool IsExportable(ITransformer t) => t is FineTunedTextTransformer or ContextualEmbeddingTransformer or TokenClassificationTransformer;

    private static IEnumerable<ITransformer> Flatten(ITransformer model) =>
        model is IEnumerable<ITransformer> chain ? chain.SelectMany(Flatten) : [model];
}
