using Microsoft.ML;

namespace MLNet.Transfer.Cli;

/// <summary>
/// <c>--device cpu|cuda|cuda:N</c> for the verbs that train, embed or run a saved model: checked here so a typo or a missing
/// CUDA LibTorch is one clear line before any data is read. CUDA needs a CUDA LibTorch package in place of the CPU one the
/// tool ships with.
/// </summary>
public static class DeviceOption
{
    private const string Description = "Where the model runs: cpu, cuda or cuda:N. CUDA needs a CUDA LibTorch package in place of the CPU one "
        + "the tool ships with; without one (or for an unknown device) the verb stops with one error line before reading any data.";

    /// <summary>--device on the verbs that train or embed.</summary>
    public static CliOption Option { get; } = CliOption.Value("device", "cpu|cuda[:N]", Description, "cpu");

    /// <summary>--device on predict and evaluate, which run a saved model.</summary>
    public static CliOption ForSavedModel { get; } = CliOption.Value("device", "cpu|cuda[:N]",
        Description + " A saved model loads on the CPU and is copied to the device; there --engine auto runs on LibTorch (ONNX Runtime "
        + "runs on the CPU here).", "cpu");

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
