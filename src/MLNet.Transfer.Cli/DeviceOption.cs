namespace MLNet.Transfer.Cli;

/// <summary>
/// <c>--device cpu|cuda|cuda:N</c> for the verbs that train or embed: checked here so a typo or a missing CUDA LibTorch is one
/// clear line before any data is read. CUDA needs a CUDA LibTorch package in place of the CPU one the tool ships with.
/// </summary>
public static class DeviceOption
{
    /// <summary>The device named by --device ("cpu" when absent), validated.</summary>
    public static string Read(CliArguments args)
    {
        string device = args.Optional("device") ?? "cpu";
        try { MLNet.Transfer.Runtime.TorchDevice.Resolve(device); }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException) { throw new CliException($"--device: {e.Message}"); }
        return device;
    }
}
