using static TorchSharp.torch;

namespace MLNet.Transfer.Checkpoints;

/// <summary>
/// Copies named tensors into a module's parameters and buffers, checking every name and shape so a
/// checkpoint that does not fit fails loudly, naming the tensor.
/// </summary>
public static class StateDictLoader
{
    /// <summary>Prefixes Hugging Face task models put before the encoder's own names (e.g. BertForSequenceClassification).</summary>
    private static readonly string[] WrapperPrefixes = ["bert.", "model.", "encoder_model."];

    /// <summary>
    /// Loads <paramref name="weights"/> into <paramref name="module"/>. Keys starting with one of
    /// <paramref name="ignoredPrefixes"/> (or equal to one) are skipped; any other key the module does not have,
    /// and any module tensor the checkpoint lacks or has with another shape, is an error.
    /// </summary>
    /// <param name="module">Target module; its state-dict keys are the expected names.</param>
    /// <param name="weights">Checkpoint tensors (any device/dtype; converted to the parameter's).</param>
    /// <param name="source">File or model name for error messages.</param>
    /// <param name="ignoredPrefixes">Checkpoint keys to skip (e.g. heads this module does not have).</param>
    /// <exception cref="InvalidDataException">A tensor is missing, unexpected or of the wrong shape.</exception>
    public static void Load(nn.Module module, IReadOnlyDictionary<string, Tensor> weights, string source, params string[] ignoredPrefixes)
    {
        var target = module.state_dict();
        var normalized = Normalize(weights, target.Keys);
        var unexpected = normalized.Keys.Where(k => !target.ContainsKey(k) && !ignoredPrefixes.Any(p => k.StartsWith(p, StringComparison.Ordinal))).ToList();
        if (unexpected.Count > 0)
            throw new InvalidDataException($"{source}: unexpected tensor '{unexpected[0]}'" + (unexpected.Count > 1 ? $" (and {unexpected.Count - 1} more)" : "") +
                                           "; the checkpoint does not match this architecture.");
        using var _ = no_grad();
        foreach (var (name, parameter) in target)
        {
            if (!normalized.TryGetValue(name, out var source_tensor))
                throw new InvalidDataException($"{source}: missing tensor '{name}' (shape [{string.Join(", ", parameter.shape)}]).");
            if (!source_tensor.shape.SequenceEqual(parameter.shape))
                throw new InvalidDataException($"{source}: tensor '{name}' has shape [{string.Join(", ", source_tensor.shape)}] but the model expects [{string.Join(", ", parameter.shape)}].");
            parameter.copy_(source_tensor);
        }
    }

    /// <summary>The weights whose names start with <paramref name="prefix"/>, with the prefix removed (one sub-module's state).</summary>
    public static Dictionary<string, Tensor> Under(IReadOnlyDictionary<string, Tensor> weights, string prefix) =>
        weights.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value);

    /// <summary>Drops a task-model wrapper prefix ("bert.") when the checkpoint uses one and the module does not.</summary>
    private static Dictionary<string, Tensor> Normalize(IReadOnlyDictionary<string, Tensor> weights, ICollection<string> targetKeys)
    {
        string? anchor = targetKeys.FirstOrDefault();
        string? prefix = anchor is null || weights.ContainsKey(anchor) ? null
            : WrapperPrefixes.FirstOrDefault(p => weights.ContainsKey(p + anchor));
        return weights.ToDictionary(kv => prefix is not null && kv.Key.StartsWith(prefix, StringComparison.Ordinal) ? kv.Key[prefix.Length..] : kv.Key, kv => kv.Value);
    }
}
