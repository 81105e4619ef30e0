using System.Text.Json;
using System.Text.Json.Nodes;

namespace MLNet.Transfer.Checkpoints;

/// <summary>
/// A sentence-transformers model directory's own embedding pipeline, read from <c>modules.json</c> (Transformer, Pooling,
/// optional Normalize modules), the Pooling module's <c>config.json</c> and <c>sentence_bert_config.json</c>.
/// </summary>
/// <param name="Directory">The sentence-transformers directory.</param>
/// <param name="TransformerDirectory">Where the transformer's config.json, vocabulary and weights are (the root or the Transformer module's path).</param>
/// <param name="Pooling">The Pooling module's mode.</param>
/// <param name="Normalize">True when a Normalize module follows the pooling (unit-length vectors).</param>
/// <param name="MaxSeqLength">sentence_bert_config.json's max_seq_length (null when absent).</param>
/// <param name="DoLowerCase">sentence_bert_config.json's do_lower_case (lower-cases texts before tokenizing; false when absent).</param>
/// <param name="WordEmbeddingDimension">The Pooling config's word_embedding_dimension (null when absent): the transformer's width.</param>
/// <param name="PoolingConfigPath">The Pooling module's config.json, for messages.</param>
public sealed record SentenceTransformersLayout(string Directory, string TransformerDirectory, PoolingMode Pooling, bool Normalize,
                                               int? MaxSeqLength, bool DoLowerCase, int? WordEmbeddingDimension, string PoolingConfigPath)
{
    /// <summary>The module list file that marks a sentence-transformers directory.</summary>
    public const string ModulesFile = "modules.json";
    /// <summary>The file holding max_seq_length and do_lower_case.</summary>
    public const string SentenceBertConfigFile = "sentence_bert_config.json";

    /// <summary>True when <paramref name="directory"/> has a modules.json.</summary>
    public static bool IsPresent(string directory) => File.Exists(Path.Combine(directory, ModulesFile));

    /// <summary>Reads the layout; every problem names the file and what is wrong.</summary>
    /// <exception cref="InvalidDataException">A file is missing, not JSON, or lacks a needed key.</exception>
    /// <exception cref="NotSupportedException">A module (e.g. Dense) or a pooling mode (e.g. mean_sqrt_len_tokens) this library does not reproduce.</exception>
    public static SentenceTransformersLayout Read(string directory)
    {
        string modulesPath = Path.Combine(directory, ModulesFile);
        var modules = ReadJson(modulesPath) as JsonArray
                      ?? throw new InvalidDataException($"{modulesPath}: expected a JSON array of modules.");
        string? transformerPath = null, poolingPath = null;
        bool normalize = false;
        foreach (var module in modules)
        {
            string type = module?["type"]?.GetValue<string>()
                          ?? throw new InvalidDataException($"{modulesPath}: a module has no \"type\".");
            string path = module["path"]?.GetValue<string>() ?? "";
            switch (type[(type.LastIndexOf('.') + 1)..])
            {
                case "Transformer": transformerPath = path; break;
                case "Pooling": poolingPath = path; break;
                case "Normalize": normalize = true; break;
                default:
                    throw new NotSupportedException($"{modulesPath}: module '{type}' is not supported; only Transformer, Pooling and Normalize are reproduced.");
            }
        }
        if (transformerPath is null) throw new InvalidDataException($"{modulesPath}: no sentence_transformers.models.Transformer module.");
        if (poolingPath is null) throw new NotSupportedException($"{modulesPath}: no Pooling module; a sentence vector needs one.");

        string poolingConfigPath = Path.Combine(directory, poolingPath, ModelDirectory.ConfigFile);
        if (!File.Exists(poolingConfigPath)) throw new InvalidDataException($"{poolingConfigPath}: the Pooling module's config is missing.");
        var pooling = ReadJson(poolingConfigPath) as JsonObject
                      ?? throw new InvalidDataException($"{poolingConfigPath}: expected a JSON object.");

        string transformerDirectory = Path.Combine(directory, transformerPath);
        if (!File.Exists(Path.Combine(transformerDirectory, ModelDirectory.ConfigFile))) transformerDirectory = directory;
        string? bertConfigPath = new[] { Path.Combine(directory, transformerPath, SentenceBertConfigFile), Path.Combine(directory, SentenceBertConfigFile) }
            .FirstOrDefault(File.Exists);
        var bertConfig = bertConfigPath is null ? null : ReadJson(bertConfigPath) as JsonObject
                         ?? throw new InvalidDataException($"{bertConfigPath}: expected a JSON object.");

        return new SentenceTransformersLayout(
            directory, transformerDirectory, PoolingOf(pooling, poolingConfigPath), normalize,
            Value<int>(bertConfig, "max_seq_length", bertConfigPath), Value<bool>(bertConfig, "do_lower_case", bertConfigPath) ?? false,
            Value<int>(pooling, "word_embedding_dimension", poolingConfigPath), poolingConfigPath);
    }

    /// <summary>
    /// Writes the sentence-transformers files next to a model directory's transformer files (module path ""): modules.json,
    /// 1_Pooling/config.json, 2_Normalize when <paramref name="normalize"/>, and sentence_bert_config.json, atomically each.
    /// </summary>
    /// <returns>False (nothing written) when <paramref name="pooling"/> has no sentence-transformers equivalent (e.g. LastMaxMean).</returns>
    public static bool Write(string directory, PoolingMode pooling, bool normalize, int? maxSeqLength, bool lowerCase, int width)
    {
        string[]? on = pooling switch
        {
            PoolingMode.Cls => ["cls_token"], PoolingMode.Mean => ["mean_tokens"], PoolingMode.Max => ["max_tokens"],
            PoolingMode.MeanMax => ["mean_tokens", "max_tokens"], PoolingMode.Last => ["lasttoken"], _ => null,
        };
        if (on is null) return false;
        var modules = new JsonArray(Module(0, "", "Transformer"), Module(1, "1_Pooling", "Pooling"));
        if (normalize) modules.Add(Module(2, "2_Normalize", "Normalize"));
        var poolingConfig = new JsonObject { ["word_embedding_dimension"] = width };
        foreach (string key in PoolingKeys) poolingConfig[key] = on.Any(o => key == $"pooling_mode_{o}");
        var bertConfig = new JsonObject { ["do_lower_case"] = lowerCase };
        if (maxSeqLength is int max) bertConfig["max_seq_length"] = max;
        var indented = new JsonSerializerOptions { WriteIndented = true };
        System.IO.Directory.CreateDirectory(Path.Combine(directory, "1_Pooling"));
        AtomicFile.WriteAllText(Path.Combine(directory, "1_Pooling", ModelDirectory.ConfigFile), poolingConfig.ToJsonString(indented));
        if (normalize) System.IO.Directory.CreateDirectory(Path.Combine(directory, "2_Normalize"));
        AtomicFile.WriteAllText(Path.Combine(directory, SentenceBertConfigFile), bertConfig.ToJsonString(indented));
        AtomicFile.WriteAllText(Path.Combine(directory, ModulesFile), modules.ToJsonString(indented)); // last: it marks the layout
        return true;
    }

    private static JsonObject Module(int index, string path, string type) => new()
    {
        ["idx"] = index, ["name"] = index.ToString(System.Globalization.CultureInfo.InvariantCulture), ["path"] = path,
        ["type"] = $"sentence_transformers.models.{type}",
    };

    private static readonly string[] PoolingKeys =
    [
        "pooling_mode_cls_token", "pooling_mode_mean_tokens", "pooling_mode_max_tokens",
        "pooling_mode_mean_sqrt_len_tokens", "pooling_mode_weightedmean_tokens", "pooling_mode_lasttoken",
    ];

    private static PoolingMode PoolingOf(JsonObject config, string path)
    {
        var on = PoolingKeys.Where(k => Value<bool>(config, k, path) == true).ToArray();
        string[] Of(params string[] names) => names.Select(n => $"pooling_mode_{n}").ToArray();
        if (on.SequenceEqual(Of("cls_token"))) return PoolingMode.Cls;
        if (on.SequenceEqual(Of("mean_tokens"))) return PoolingMode.Mean;
        if (on.SequenceEqual(Of("max_tokens"))) return PoolingMode.Max;
        if (on.SequenceEqual(Of("mean_tokens", "max_tokens"))) return PoolingMode.MeanMax;
        if (on.SequenceEqual(Of("lasttoken"))) return PoolingMode.Last;
        if (on.Length == 0) throw new InvalidDataException($"{path}: no pooling_mode_* key is true.");
        throw new NotSupportedException($"{path}: pooling {string.Join(" + ", on)} is not supported; " +
                                        "supported: cls_token, mean_tokens, max_tokens, mean_tokens + max_tokens, lasttoken.");
    }

    private static T? Value<T>(JsonObject? config, string key, string? path) where T : struct
    {
        if (config?[key] is not { } node) return null;
        try { return node.GetValue<T>(); }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{path}: \"{key}\" must be a {(typeof(T) == typeof(bool) ? "boolean" : "number")}, got {node.ToJsonString()}.");
        }
    }

    private static JsonNode? ReadJson(string path)
    {
        try { return JsonNode.Parse(File.ReadAllText(path)); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not valid JSON ({e.Message}).", e); }
    }
}
