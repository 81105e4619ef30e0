using MLNet.Transfer.Checkpoints;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.Inference;
using MLNet.Transfer.Text;

namespace MLNet.Transfer.Benchmarks.Support;

/// <summary>
/// The child process of <see cref="Comparisons.InferenceMemoryComparison"/>: embeds the 2,000-sentence corpus once on
/// one side, in a fresh process, and prints its peak resident memory (VmHWM, MB) as the last line.
/// "ours": what an app using the library runs by default (PretrainedEncoder.Load + the embedder on InferenceEngine.Auto,
/// which exports the encoder straight from its weight file and never loads LibTorch);
/// "ort": ONNX Runtime alone on the published model.onnx with our tokenizer (what "export to ONNX and serve it" costs).
/// </summary>
internal static class MemoryProbe
{
    public const string Argument = "--rss-probe";

    /// <summary>Where the memory goes: current and peak RSS after each stage, on stderr.</summary>
    private static void Stage(string name)
    {
        var (current, peak) = ProcessMemory.Read();
        Console.Error.WriteLine($"    rss probe: {name}: {current:F0} MB (peak {peak:F0} MB; LibTorch {(LibTorchThreads.IsLoaded() ? "loaded" : "not loaded")})");
    }

    public static int Run(string side, int threads)
    {
        var texts = Corpus.Load().EmbedSet;
        var settings = new EmbeddingSettings();
        float[][] vectors;
        if (side == "ours")
        {
            // LibTorch and the ONNX Runtime engine both read the thread count from here; nothing loads LibTorch unless it is needed.
            Environment.SetEnvironmentVariable("OMP_NUM_THREADS", threads.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Stage("corpus");
            using var encoder = PretrainedEncoder.Load(Quick.BenchContext.ModelName);
            Stage("encoder loaded");
            var embedder = new EngineEmbedder(encoder, settings, InferenceEngine.Auto).Embedder;
            Stage("default engine created");
            embedder.Embed([texts[0]]); // the ONNX Runtime session is exported and opened on first use
            Stage("session created");
            vectors = embedder.Embed(texts);
        }
        else if (side == "ort")
        {
            var files = EmbeddedModelFiles.Find(Quick.BenchContext.ModelName);
            using var vocab = new MemoryStream(files.ReadVocab());
            var tokenizer = BertWordPieceTokenizer.FromVocab(vocab);
            Stage("corpus + tokenizer");
            using var ort = new OrtEncoder(files.ReadOnnx(), threads);
            Stage("session created");
            vectors = ort.EmbedTexts(tokenizer, texts, settings.EffectiveMaxTokens(maxPositions: 512), settings.BatchSize);
        }
        else throw new ArgumentException($"{Argument} takes ours or ort, not '{side}'.");
        if (vectors.Length != texts.Count) throw new InvalidOperationException("Not every text was embedded.");
        Stage("embedded");
        Console.WriteLine(ProcessMemory.Read().Peak.ToString("F1", System.Globalization.CultureInfo.InvariantCulture));
        return 0;
    }
}
