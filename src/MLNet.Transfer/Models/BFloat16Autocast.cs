using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transfer.Models;

/// <summary>
/// bf16 mixed-precision compute for training, in the manner of PyTorch's autocast (which TorchSharp lacks): while a
/// scope is open on a thread, the encoder's dense layers (<see cref="Linear"/>, through
/// <see cref="Bert.BFloat16Linear.Apply"/>) multiply bfloat16 casts of their input and weights and return fp32. The
/// casts are part of the autograd graph, so gradients reach the fp32 master weights in fp32; everything else (embeddings,
/// LayerNorm, softmax, the loss, the optimizer) stays fp32. Scopes nest; each thread has its own.
/// </summary>
public static class BFloat16Autocast
{
    [ThreadStatic] private static int _depth;

    /// <summary>Whether a scope is open on this thread.</summary>
    public static bool IsActive => _depth > 0;

    /// <summary>Opens a scope on this thread (close it by disposing the result, on the same thread).</summary>
    public static IDisposable Enter()
    {
        _depth++;
        return new Scope();
    }

    /// <summary><paramref name="linear"/>(<paramref name="x"/>) with bf16 operands, as an fp32 tensor of <paramref name="x"/>'s dtype.</summary>
    internal static Tensor Linear(Linear linear, Tensor x)
    {
        using var scope = NewDisposeScope();
        // Linear.weight and .bias are the module's own parameters (not new handles): never dispose them.
        var weight = linear.weight!.to(ScalarType.BFloat16);
        var bias = linear.bias?.to(ScalarType.BFloat16);
        return nn.functional.linear(x.to(ScalarType.BFloat16), weight, bias).to(x.dtype).MoveToOuterDisposeScope();
    }

    private sealed class Scope : IDisposable
    {
        private bool _closed;

        public void Dispose()
        {
            if (_closed) return;
            _closed = true;
            _depth--;
        }
    }
}
