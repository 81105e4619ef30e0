using Microsoft.ML;

namespace MLNet.Transfer.Cli;

/// <summary>
/// <c>--device cpu|cuda|cuda:N</c> for the verbs that train, embed or run a saved model: checked here so a typo or a missing
/// CUDA LibTorch is one clear line before any data is read. CUDA needs a CUDA LibTorch package in place of the CPU one the
/// tool ships with.
/// </summary>
public static class DeviceOption
{
    /// <summary>The declaration every verb with --device shares.</summary>
    public static CliOption Option { get; } = CliOption.Value("device", "cpu|cuda[:N]",
        "Where the model runs: cpu, cuda or cuda:N. CUDA needs a CUDA LibTorch package in place of the CPU one the tool ships with; "
        + "without one (or for an unknown device) the verb stops with one error line before reading any data.", "cpu");

    /// <summary>The device named by --device ("cpu" when absent), validated.</summary>
    public static string Read(CliArguments args)
    {
        string device = args.Optional("device") ?? "cpu";
        try { MLNet.Transfer.Runtime.TorchDevice.Resolve(device); }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException) { throw new CliException($"--device: {e.Message}"); }
        return device;
    }

    /// <summary><paramref name="model"/> (a loaded model.zip, which runs on the CPU) moved to <paramref name="device"/>; unchanged for cpu.</summary>
    public static ITransformer Apply(MLContext mlContext, ITransformer model, string device) =>
        mlContext.Model.WithDevice(model, device);
}
