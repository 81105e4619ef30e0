using System.Text.Json;
using System.Text.Json.Nodes;

namespace MLNet.Transfer.Text;

/// <summary>
/// Reads a WordPiece tokenizer from Hugging Face files: tokenizer.json (the "tokenizers" library format) or
/// vocab.txt + tokenizer_config.json (the "transformers" format).
/// </summary>
internal static class HuggingFaceTokenizerFiles
{
    /// <summary>Reads a model directory: tokenizer.json if present, otherwise vocab.txt and tokenizer_config.json.</summary>
    public static (string[] Tokens, BertWordPieceOptions Options) ReadDirectory(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException($"Model directory '{directory}' does not exist.");

        string json = Path.Combine(directory, "tokenizer.json");
        if (File.Exists(json))
        {
            using var stream = File.OpenRead(json);
            return ReadTokenizerJson(stream);
        }

        string vocab = Path.Combine(directory, "vocab.txt");
        if (!File.Exists(vocab))
            throw new FileNotFoundException($"Model directory '{directory}' has neither tokenizer.json nor vocab.txt.", vocab);
        var options = new BertWordPieceOptions();
        string config = Path.Combine(directory, "tokenizer_config.json");
        if (File.Exists(config))
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(config));
            ApplyTokenizerConfig(document.RootElement, options);
        }
        using var vocabStream = File.OpenRead(vocab);
        return (VocabularyText.Read(vocabStream), options);
    }

    /// <summary>Reads the vocabulary and settings of a tokenizer.json whose model is WordPiece.</summary>
    public static (string[] Tokens, BertWordPieceOptions Options) ReadTokenizerJson(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var document = JsonDocument.Parse(stream);
        var root = document.RootElement;
        if (!root.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException("tokenizer.json has no \"model\" object.");
        string type = String(model, "type") ?? "?";
        if (type != "WordPiece")
            throw new NotSupportedException($"tokenizer.json has a {type} model; only WordPiece (BERT-family) tokenizers are supported.");
        if (!model.TryGetProperty("vocab", out var vocab) || vocab.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException("tokenizer.json's WordPiece model has no \"vocab\" object.");

        var options = new BertWordPieceOptions
        {
            UnknownToken = String(model, "unk_token") ?? "[UNK]",
            ContinuingSubwordPrefix = String(model, "continuing_subword_prefix") ?? "##",
            MaxInputCharsPerWord = model.TryGetProperty("max_input_chars_per_word", out var max) && max.ValueKind == JsonValueKind.Number ? max.GetInt32() : 100,
        };
        ApplyNormalizer(root.TryGetProperty("normalizer", out var normalizer) ? normalizer : default, options);
        ApplyPostProcessor(root.TryGetProperty("post_processor", out var post) ? post : default, options);
        if (root.TryGetProperty("padding", out var padding) && padding.ValueKind == JsonValueKind.Object && String(padding, "pad_token") is { } pad)
            options.PaddingToken = pad;

        return (ToTokenArray(vocab), options);
    }

    /// <summary>Opens a file with a clear error when it does not exist.</summary>
    public static FileStream OpenExisting(string path, string what)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"The {what} '{path}' does not exist.", path);
        return File.OpenRead(path);
    }

    private static string[] ToTokenArray(JsonElement vocab)
    {
        var pairs = new List<(string Token, int Id)>();
        foreach (var entry in vocab.EnumerateObject())
            pairs.Add((entry.Name, entry.Value.GetInt32()));
        if (pairs.Count == 0)
            throw new InvalidDataException("tokenizer.json's vocabulary is empty.");
        int size = pairs.Max(p => p.Id) + 1;
        if (pairs.Min(p => p.Id) < 0 || size > 10 * pairs.Count + 1000)
            throw new InvalidDataException("tokenizer.json's vocabulary ids are negative or far from contiguous.");
        var tokens = new string[size];
        Array.Fill(tokens, string.Empty);
        foreach (var (token, id) in pairs)
        {
            if (tokens[id].Length > 0)
                throw new InvalidDataException($"tokenizer.json gives id {id} to both '{tokens[id]}' and '{token}'.");
            tokens[id] = token;
        }
        return tokens;
    }

    /// <summary>BertNormalizer settings, directly or inside a Sequence normalizer; no normalizer means cased.</summary>
    private static void ApplyNormalizer(JsonElement normalizer, BertWordPieceOptions options)
    {
        options.LowerCase = false;
        options.StripAccents = false;
        options.TokenizeChineseChars = false;
        ApplyNormalizerStep(normalizer, options);
    }

    private static void ApplyNormalizerStep(JsonElement normalizer, BertWordPieceOptions options)
    {
        if (normalizer.ValueKind != JsonValueKind.Object)
            return;
        if (String(normalizer, "type") == "Sequence" && normalizer.TryGetProperty("normalizers", out var list))
        {
            foreach (var item in list.EnumerateArray())
                ApplyNormalizerStep(item, options);
            return;
        }
        switch (String(normalizer, "type"))
        {
            case "BertNormalizer":
                options.LowerCase = Bool(normalizer, "lowercase") ?? true;
                options.StripAccents = Bool(normalizer, "strip_accents"); // null follows lowercase
                options.TokenizeChineseChars = Bool(normalizer, "handle_chinese_chars") ?? true;
                break;
            case "Lowercase":
                options.LowerCase = true;
                break;
            case "StripAccents":
                options.StripAccents = true;
                break;
        }
    }

    /// <summary>[CLS]/[SEP] names from BertProcessing or the single-sequence TemplateProcessing template.</summary>
    private static void ApplyPostProcessor(JsonElement post, BertWordPieceOptions options)
    {
        if (post.ValueKind != JsonValueKind.Object)
            return;
        if (String(post, "type") == "BertProcessing")
        {
            if (post.TryGetProperty("cls", out var cls) && cls.ValueKind == JsonValueKind.Array)
                options.ClassificationToken = cls[0].GetString() ?? options.ClassificationToken;
            if (post.TryGetProperty("sep", out var sep) && sep.ValueKind == JsonValueKind.Array)
                options.SeparatorToken = sep[0].GetString() ?? options.SeparatorToken;
        }
        else if (String(post, "type") == "TemplateProcessing" && post.TryGetProperty("single", out var single))
        {
            var specials = single.EnumerateArray()
                .Where(p => p.TryGetProperty("SpecialToken", out _))
                .Select(p => String(p.GetProperty("SpecialToken"), "id"))
                .ToList();
            if (specials.Count >= 2)
            {
                options.ClassificationToken = specials[0] ?? options.ClassificationToken;
                options.SeparatorToken = specials[^1] ?? options.SeparatorToken;
            }
        }
    }

    /// <summary>
    /// transformers' tokenizer_config.json for <paramref name="options"/>: every setting <see cref="ApplyTokenizerConfig"/>
    /// reads back (casing, accents, CJK splitting, special tokens), plus model_max_length and the tokenizer class.
    /// </summary>
    public static JsonObject ToTokenizerConfig(BertWordPieceOptions options, int maxTokens) => new()
    {
        ["do_lower_case"] = options.LowerCase,
        ["strip_accents"] = options.StripAccents is bool strip ? strip : null,
        ["tokenize_chinese_chars"] = options.TokenizeChineseChars,
        ["unk_token"] = options.UnknownToken,
        ["sep_token"] = options.SeparatorToken,
        ["pad_token"] = options.PaddingToken,
        ["cls_token"] = options.ClassificationToken,
        ["mask_token"] = options.MaskToken,
        ["model_max_length"] = maxTokens,
        ["tokenizer_class"] = "BertTokenizer",
    };

    /// <summary>Options from a tokenizer_config.json text (as <see cref="ToTokenizerConfig"/> writes it).</summary>
    public static BertWordPieceOptions FromTokenizerConfig(string json)
    {
        var options = new BertWordPieceOptions();
        using var document = JsonDocument.Parse(json);
        ApplyTokenizerConfig(document.RootElement, options);
        return options;
    }

    /// <summary>transformers' tokenizer_config.json: do_lower_case, strip_accents, tokenize_chinese_chars, *_token.</summary>
    private static void ApplyTokenizerConfig(JsonElement config, BertWordPieceOptions options)
    {
        options.LowerCase = Bool(config, "do_lower_case") ?? true;
        options.StripAccents = Bool(config, "strip_accents");
        options.TokenizeChineseChars = Bool(config, "tokenize_chinese_chars") ?? true;
        options.UnknownToken = TokenString(config, "unk_token") ?? options.UnknownToken;
        options.ClassificationToken = TokenString(config, "cls_token") ?? options.ClassificationToken;
        options.SeparatorToken = TokenString(config, "sep_token") ?? options.SeparatorToken;
        options.PaddingToken = TokenString(config, "pad_token") ?? options.PaddingToken;
        options.MaskToken = TokenString(config, "mask_token") ?? options.MaskToken;
    }

    /// <summary>A special token in tokenizer_config.json: a string, or an AddedToken object with "content".</summary>
    private static string? TokenString(JsonElement config, string name) =>
        !config.TryGetProperty(name, out var value) ? null
        : value.ValueKind == JsonValueKind.String ? value.GetString()
        : value.ValueKind == JsonValueKind.Object ? String(value, "content")
        : null;

    private static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static bool? Bool(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind is JsonValueKind.True or JsonValueKind.False ? value.GetBoolean() : null;
}
