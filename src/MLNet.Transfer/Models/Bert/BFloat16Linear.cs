using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transfer.Models.Bert;

/// <summary>
/// bfloat16 copies of one <see cref="Linear"/> layer's weight and bias, for the opt-in reduced-precision inference of
/// <see cref="BertModel.UseBFloat16Inference"/>: the matrix product reads half the bytes and runs on the CPU's bf16
/// instructions (oneDNN), accumulating in fp32; input and output stay fp32. Not a module: the copies are never part
/// of the state dict and are never trained.
/// </summary>
internal sealed class BFloat16Linear : IDisposable
{
    private readonly Tensor _weight;
    private readonly Tensor? _bias;

    /// <summary>Copies <paramref name="linear"/>'s current weights.</summary>
    public BFloat16Linear(Linear linear)
    {
        using var noGrad = no_grad();
        // Linear.weight and .bias are the module's own parameters (not new handles): never dispose them.
        using var scope = NewDisposeScope();
        _weight = linear.weight!.detach().to(ScalarType.BFloat16).MoveToOuterDisposeScope();
        _bias = linear.bias?.detach().to(ScalarType.BFloat16).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// <paramref name="linear"/>(<paramref name="x"/>): with the bf16 copies when there are some and no gradient is being
    /// recorded (inference), with bf16 casts of the current weights inside a <see cref="BFloat16Autocast"/> scope
    /// (mixed-precision training), else in fp32.
    /// </summary>
    public static Tensor Apply(Linear linear, BFloat16Linear? reduced, Tensor x) =>
        reduced is not null && !torch.is_grad_enabled() ? reduced.Forward(x)
        : BFloat16Autocast.IsActive ? BFloat16Autocast.Linear(linear, x)
        : linear.call(x);

    /// <summary>Replaces <paramref name="copy"/> with fresh copies of <paramref name="linear"/> (or none).</summary>
    public static void Refresh(ref BFloat16Linear? copy, Linear linear, bool enabled)
    {
        copy?.Dispose();
        copy = enabled ? new BFloat16Linear(linear) : null;
    }

    private Tensor Forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return nn.functional.linear(x.to(ScalarType.BFloat16), _weight, _bias).to(x.dtype).MoveToOuterDisposeScope();
    }

    /// <summary>Frees the copies.</summary>
    public void Dispose()
    {
        _weight.Dispose();
        _bias?.Dispose();
    }
}
