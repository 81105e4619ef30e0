using TorchSharp;

namespace MLNet.Transfer.Runtime;

/// <summary>Resolves the compute device for models: "cpu" (default), "cuda" or "cuda:N".</summary>
public static class TorchDevice
{
    /// <summary>
    /// Parses a device name. CUDA needs a CUDA LibTorch package referenced by the application
    /// (see docs/models.md, "Using a GPU"); asking for it without one gives a clear error instead of a native crash.
    /// </summary>
    /// <param name="name">"cpu", "cuda" or "cuda:N"; null or empty means cpu.</param>
    public static torch.Device Resolve(string? name)
    {
        LibTorchRequirement.Ensure($"A model on device '{(IsCpu(name) ? "cpu" : name)}'");
        if (IsCpu(name)) return torch.CPU;
        return ResolveOther(name!);
    }

    /// <summary>Whether <paramref name="name"/> means the CPU (null, empty or "cpu"), decided without initialising LibTorch.</summary>
    internal static bool IsCpu(string? name) => string.IsNullOrWhiteSpace(name) || name.Equals("cpu", StringComparison.OrdinalIgnoreCase);

    private static torch.Device ResolveOther(string name)
    {
        if (!name.StartsWith("cuda", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"Unknown device '{name}'. Use 'cpu', 'cuda' or 'cuda:N'.", nameof(name));
        if (!torch.cuda.is_available())
            throw new InvalidOperationException(
                $"Device '{name}' was requested but CUDA is not available. Reference a CUDA LibTorch package " +
                "(e.g. libtorch-cuda-12.8-linux-x64) in your application instead of libtorch-cpu-linux-x64, and run on a machine with an NVIDIA GPU.");
        return new torch.Device(name.ToLowerInvariant());
    }
}
