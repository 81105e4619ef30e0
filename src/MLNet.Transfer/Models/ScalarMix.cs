using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transfer.Models;

/// <summary>
/// ELMo's scalar mix: γ · Σ_k softmax(w)_k · h_k over a set of layer states. Trainable when used inside a
/// model, or fixed from given weights for feature extraction.
/// </summary>
public sealed class ScalarMix : nn.Module<IReadOnlyList<Tensor>, Tensor>
{
#pragma warning disable IDE1006
    private readonly Parameter scalar_parameters;
    private readonly Parameter gamma;
#pragma warning restore IDE1006

    /// <summary>Creates a mix over <paramref name="layerCount"/> layers, starting from <paramref name="initialWeights"/> (pre-softmax; default all 0 = uniform average).</summary>
    public ScalarMix(int layerCount, IReadOnlyList<float>? initialWeights = null, float initialGamma = 1f) : base(nameof(ScalarMix))
    {
        if (layerCount < 1) throw new ArgumentOutOfRangeException(nameof(layerCount), layerCount, "At least one layer is needed.");
        if (initialWeights is not null && initialWeights.Count != layerCount)
            throw new ArgumentException($"Expected {layerCount} mix weights, got {initialWeights.Count}.", nameof(initialWeights));
        scalar_parameters = new Parameter(initialWeights is null ? zeros(layerCount) : tensor(initialWeights.ToArray()));
        gamma = new Parameter(tensor(new[] { initialGamma }));
        RegisterComponents();
    }

    /// <summary>Mixes same-shaped <paramref name="layers"/>.</summary>
    public override Tensor forward(IReadOnlyList<Tensor> layers)
    {
        if (layers.Count != scalar_parameters.shape[0])
            throw new ArgumentException($"ScalarMix was built for {scalar_parameters.shape[0]} layers but got {layers.Count}.", nameof(layers));
        using var scope = NewDisposeScope();
        var weights = nn.functional.softmax(scalar_parameters, 0);
        Tensor mixed = layers[0] * weights[0];
        for (int i = 1; i < layers.Count; i++) mixed = mixed.Plus(layers[i] * weights[i]);
        return (mixed * gamma).MoveToOuterDisposeScope();
    }
}
