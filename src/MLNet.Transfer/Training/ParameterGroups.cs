using MLNet.Transfer.Models;
using MLNet.Transfer.Models.Heads;
using TorchSharp.Modules;

namespace MLNet.Transfer.Training;

/// <summary>One optimiser group: parameters at the same depth sharing a peak rate and weight-decay rule.</summary>
/// <param name="Depth">0 = heads, 1 = top block, …, blocks + 1 = embeddings.</param>
/// <param name="PeakLearningRate">Base rate × decay^depth.</param>
/// <param name="WeightDecay">0 for biases and LayerNorm weights.</param>
/// <param name="Names">Parameter names, for inspection and tests.</param>
/// <param name="Parameters">The parameters.</param>
public sealed record ParameterGroup(int Depth, double PeakLearningRate, double WeightDecay, IReadOnlyList<string> Names, IReadOnlyList<Parameter> Parameters);

/// <summary>
/// Splits a <see cref="TransferModel"/> into parameter groups by depth — the one mechanism behind
/// discriminative learning rates and gradual unfreezing (as in fastai's splitters).
/// </summary>
public static class ParameterGroups
{
    /// <summary>Groups every parameter by depth and by whether weight decay applies.</summary>
    public static IReadOnlyList<ParameterGroup> Build(TransferModel model, double learningRate, double layerDecay, double weightDecay) =>
        Build(model, model.Encoder, model.EncoderPrefix, learningRate, layerDecay, weightDecay);

    /// <summary>
    /// Groups the parameters of any module whose encoder lives under "bert." (e.g. a language model: encoder + "cls.*"
    /// head) by depth and by whether weight decay applies; <paramref name="blocks"/> is the encoder's layer count.
    /// </summary>
    public static IReadOnlyList<ParameterGroup> Build(TorchSharp.torch.nn.Module model, int blocks, double learningRate, double layerDecay, double weightDecay) =>
        Build(model, name => DepthOf(name, blocks), learningRate, layerDecay, weightDecay);

    /// <summary>
    /// Groups the parameters of <paramref name="model"/>, which holds <paramref name="encoder"/> (any architecture) under
    /// <paramref name="encoderPrefix"/> (e.g. "encoder."), by depth — 0 for everything outside the encoder (heads),
    /// then the encoder's layers from the top down to its embeddings (<see cref="TextEncoder.LayerOf"/>) — and by
    /// whether weight decay applies.
    /// </summary>
    public static IReadOnlyList<ParameterGroup> Build(TorchSharp.torch.nn.Module model, TextEncoder encoder, string encoderPrefix,
                                                      double learningRate, double layerDecay, double weightDecay) =>
        Build(model, name => name.StartsWith(encoderPrefix, StringComparison.Ordinal)
                  ? encoder.LayerCount + 1 - encoder.LayerOf(name[encoderPrefix.Length..])
                  : 0,
              learningRate, layerDecay, weightDecay);

    private static IReadOnlyList<ParameterGroup> Build(TorchSharp.torch.nn.Module model, Func<string, int> depthOf, double learningRate, double layerDecay, double weightDecay)
    {
        var buckets = new SortedDictionary<(int Depth, bool Decay), List<(string Name, Parameter Parameter)>>();
        foreach (var (name, parameter) in model.named_parameters())
        {
            var key = (depthOf(name), AppliesDecay(name));
            if (!buckets.TryGetValue(key, out var list)) buckets[key] = list = [];
            list.Add((name, parameter));
        }
        return buckets.Select(b => new ParameterGroup(
            b.Key.Depth, learningRate * Math.Pow(layerDecay, b.Key.Depth), b.Key.Decay ? weightDecay : 0,
            b.Value.Select(p => p.Name).ToArray(), b.Value.Select(p => p.Parameter).ToArray())).ToList();
    }

    /// <summary>Depth of a parameter: heads 0, block i of N at N − i, embeddings N + 1.</summary>
    public static int DepthOf(string name, int blocks)
    {
        const string layerPrefix = "bert.encoder.layer.";
        if (name.StartsWith(layerPrefix, StringComparison.Ordinal))
        {
            int end = name.IndexOf('.', layerPrefix.Length);
            return blocks - int.Parse(name.AsSpan(layerPrefix.Length, end - layerPrefix.Length));
        }
        if (name.StartsWith("bert.embeddings.", StringComparison.Ordinal)) return blocks + 1;
        if (name.StartsWith("bert.", StringComparison.Ordinal)) return blocks + 1;
        return 0;
    }

    /// <summary>Whether gradual unfreezing leaves a group of <paramref name="depth"/> trainable in <paramref name="epoch"/> (0-based).</summary>
    public static bool IsTrainable(int depth, int epoch, int unfreezeBlocksPerEpoch) =>
        unfreezeBlocksPerEpoch == 0 || depth <= (long)epoch * unfreezeBlocksPerEpoch;

    private static bool AppliesDecay(string name) =>
        !(name[(name.LastIndexOf('.') + 1)..].StartsWith("bias", StringComparison.Ordinal) // "x.bias", and LSTM's "bias_ih_l0"
          || name.Contains("LayerNorm.", StringComparison.Ordinal));
}
