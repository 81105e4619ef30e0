using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.MLNetIntegration;
using MLNet.Transfer.Models;

namespace MLNet.Transfer.Cli;

/// <summary><c>embed</c>: print sentence vectors for a text or a file of lines.</summary>
public static class EmbedCommand
{
    /// <summary>The verb's definition: usage, options and notes.</summary>
    public static CliVerb Verb { get; } = new("embed", "sentence vectors from a pretrained encoder",
        """
        mlnet-transfer embed --model minilm|arctic-xs|<dir> [--pooling cls|mean|max|meanmax|last|lastmaxmean] [--normalize|--no-normalize]
                             (--text "..." | --input file.txt) [--json] [--max-tokens N] [--device cpu|cuda[:N]]
                             [--engine auto|onnxruntime|libtorch]
        """,
        [
            CliOption.Value("model", "minilm|arctic-xs|<dir>",
                "The encoder: an embedded model (minilm = all-MiniLM-L6-v2, arctic-xs = snowflake-arctic-embed-xs), a Hugging Face BERT "
                + "directory, a sentence-transformers directory, a recurrent model (awd-lstm, bilstm) written by pretrain, or a Hugging Face "
                + "model id (org/name) already in the local hub cache (nothing is downloaded).", "minilm"),
            CliOption.OneOf("pooling", ["cls", "mean", "max", "meanmax", "last", "lastmaxmean"],
                "How the token states become one vector. last = the last token's state (a left-to-right model's summary), "
                + "lastmaxmean = ULMFiT's concat pooling.", "the model's own"),
            CliOption.Flag("normalize", "L2-normalise the vectors (default: the model's own)."),
            CliOption.Flag("no-normalize", "Do not normalise the vectors, whatever the model's default."),
            CliOption.Value("text", "\"...\"", "A text to embed."),
            CliOption.Value("input", "file.txt", "Reads one text per line (after --text when both are given)."),
            CliOption.Flag("json", "One JSON object per line: {\"text\": ..., \"embedding\": [...]} (without it: the numbers, space-separated)."),
            CliOption.Value("max-tokens", "N", "Tokens per text, 2-512.", "the model's own"),
            DeviceOption.Option,
            EngineOption.ForEmbed,
        ],
        [
            "Prints one vector per text. Default pooling, normalisation and max tokens: the model's own (minilm: mean, arctic-xs: cls, "
            + "both normalised; a sentence-transformers directory: its modules.json, 1_Pooling, 2_Normalize and max_seq_length; other "
            + "directories: mean, not normalised).",
        ],
        Run);

    /// <summary>Runs the verb.</summary>
    public static int Run(CliArguments args)
    {
        string model = args.Optional("model") ?? "minilm";
        string? poolingText = args.Choice("pooling");
        bool normalize = args.Flag("normalize"), noNormalize = args.Flag("no-normalize"), json = args.Flag("json");
        if (normalize && noNormalize) throw new CliException("Give --normalize or --no-normalize, not both.");
        string? text = args.Optional("text"), input = args.Optional("input");
        int? maxTokens = args.Int("max-tokens", 2, 512);
        string device = DeviceOption.Read(args);
        var engine = EngineOption.Read(args) ?? InferenceEngine.Auto;
        args.RejectUnused();
        if (text is null && input is null) throw new CliException("Give --text \"...\" or --input file.txt.");
        var texts = new List<string>();
        if (text is not null) texts.Add(text);
        if (input is not null)
        {
            if (!File.Exists(input)) throw new CliException($"Input file '{input}' does not exist.");
            texts.AddRange(File.ReadLines(input));
        }

        using var encoder = PretrainedEncoder.Load(model, device);
        var defaults = encoder.EmbeddingDefaults;
        var pooling = poolingText switch
        {
            "cls" => PoolingMode.Cls, "mean" => PoolingMode.Mean, "max" => PoolingMode.Max, "meanmax" => PoolingMode.MeanMax,
            "last" => PoolingMode.Last, "lastmaxmean" => PoolingMode.LastMaxMean,
            _ => defaults.Pooling,
        };
        var settings = defaults with { Pooling = pooling, Normalize = normalize || (defaults.Normalize && !noNormalize), MaxTokens = maxTokens ?? defaults.MaxTokens };
        var mlContext = new MLContext(1);
        var empty = mlContext.Data.LoadFromEnumerable(new List<TextOnlyRow>());
        var embeddings = EngineOption.Checked(() => mlContext.Transforms.Text.ApplyContextualEmbeddings(Options(encoder, settings, engine)).Fit(empty));
        var stdout = Console.Out;
        const int chunk = 256; // stream large inputs instead of holding every vector
        for (int start = 0; start < texts.Count; start += chunk)
        {
            var part = texts.Skip(start).Take(chunk).ToList();
            var rows = embeddings.Transform(mlContext.Data.LoadFromEnumerable(part.Select(t => new TextOnlyRow { Text = t }).ToList()));
            var vectors = rows.GetColumn<float[]>("Features").ToArray();
            for (int i = 0; i < part.Count; i++)
            {
                if (json) stdout.WriteLine(JsonSerializer.Serialize(new { text = part[i], embedding = vectors[i] }));
                else stdout.WriteLine(string.Join(' ', vectors[i].Select(v => v.ToString("G6", System.Globalization.CultureInfo.InvariantCulture))));
            }
        }
        return 0;
    }

    /// <summary>The ApplyContextualEmbeddings options that embed exactly as <paramref name="settings"/> say, on <paramref name="engine"/>.</summary>
    private static ContextualEmbeddingOptions Options(PretrainedEncoder encoder, EmbeddingSettings settings, InferenceEngine engine) => new()
    {
        Encoder = encoder, Pooling = settings.Pooling, Layers = settings.Layers?.ToArray(), Combination = settings.Combination,
        MixWeights = settings.MixWeights?.ToArray(), Normalize = settings.Normalize, MaxTokens = settings.MaxTokens, Truncation = settings.Truncation,
        WindowStride = settings.WindowStride, BatchSize = settings.BatchSize, InferenceEngine = engine,
    };
}
