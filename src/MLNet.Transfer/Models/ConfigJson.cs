using System.Text.Json;
using System.Text.Json.Serialization;

namespace MLNet.Transfer.Models;

/// <summary>
/// Reads and writes an architecture's <c>config.json</c> text (<see cref="BertConfig"/>, <see cref="Recurrent.RecurrentConfig"/>):
/// indented, null fields left out, and every parse error naming the file it came from.
/// </summary>
public static class ConfigJson
{
    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    /// <summary>Parses <paramref name="json"/> into <typeparamref name="T"/> (not yet validated).</summary>
    /// <param name="json">config.json text.</param>
    /// <param name="source">Where the text came from (a path or stream name), put at the start of every error message.</param>
    /// <exception cref="InvalidDataException">Not valid JSON, or empty ("null").</exception>
    public static T Parse<T>(string json, string source) where T : class
    {
        T? config;
        try { config = JsonSerializer.Deserialize<T>(json, Options); }
        catch (JsonException e) { throw NotJson(source, e); }
        return config ?? throw new InvalidDataException($"{source}: empty config.");
    }

    /// <summary>Serialises <paramref name="config"/> as config.json text.</summary>
    public static string Write<T>(T config) => JsonSerializer.Serialize(config, Options);

    /// <summary>The "model_type" of <paramref name="json"/> ("bert" when absent, as in old BERT configs).</summary>
    /// <exception cref="InvalidDataException">Not a JSON object (the message starts with <paramref name="source"/>).</exception>
    public static string ModelType(string json, string source)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{source}: not a JSON object.");
            return document.RootElement.TryGetProperty("model_type", out var type) && type.ValueKind == JsonValueKind.String ? type.GetString()! : "bert";
        }
        catch (JsonException e)
        {
            throw NotJson(source, e);
        }
    }

    /// <summary>Checks that every field is positive, in order; throws for the first that is not, naming it and <paramref name="source"/>.</summary>
    /// <param name="source">Where the config came from.</param>
    /// <param name="fields">config.json names and values.</param>
    /// <exception cref="InvalidDataException">A field is zero or negative.</exception>
    public static void RequirePositive(string source, params (string Name, int Value)[] fields)
    {
        foreach (var (name, value) in fields)
            if (value <= 0) throw new InvalidDataException($"{source}: {name} must be positive, got {value}.");
    }

    private static InvalidDataException NotJson(string source, JsonException e) => new($"{source}: not valid JSON ({e.Message}).", e);
}
