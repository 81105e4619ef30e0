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
        }
    }

    /// <summary>Writes a fine-tuned model: every head's logits (or regression prediction) and probabilities.</summary>
    public static void Write(FineTunedTextTransformer transformer, Stream stream, OnnxExportOptions? options)
    {
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
        if (model is FineTunedTextTransformer or ContextualEmbeddingTransformer) return model;
        var found = Flatten(model).Where(t => t is FineTunedTextTransformer or ContextualEmbeddingTransformer).ToList();
        return found.Count switch
        {
            1 => found[0],
            0 => throw new ArgumentException("The model contains no fine-tuned transformer or contextual embeddings to export to ONNX.", nameof(model)),
            _ => throw new ArgumentException($"The model contains {found.Count} MLNet.Transfer transformers; export each one separately.", nameof(model)),
        };
    }

    private static IEnumerable<ITransformer> Flatten(ITransformer model) =>
        model is IEnumerable<ITransformer> chain ? chain.SelectMany(Flatten) : [model];
}
