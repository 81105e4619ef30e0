using Microsoft.ML;

namespace MLNet.Transfer.Cli;

/// <summary>
/// <c>--engine auto|onnxruntime|libtorch</c> on <c>predict</c>, <c>evaluate</c> and <c>embed</c>: which runtime computes the
/// forward passes (see <see cref="InferenceEngine"/>). Without it a saved model runs on the engine it was saved with
/// (Auto unless chosen otherwise) and <c>embed</c> on Auto.
/// </summary>
internal static class EngineOption
{
    /// <summary>The engine named on the command line, or null.</summary>
    public static InferenceEngine? Read(CliArguments args) => args.Choice("engine", "auto", "onnxruntime", "libtorch") switch
    {
        "auto" => InferenceEngine.Auto,
        "onnxruntime" => InferenceEngine.OnnxRuntime,
        "libtorch" => InferenceEngine.LibTorch,
        _ => null,
    };

    /// <summary><paramref name="model"/> switched to <paramref name="engine"/> (unchanged when null); an engine that cannot run it is a clear error.</summary>
    public static ITransformer Apply(MLContext mlContext, ITransformer model, InferenceEngine? engine) =>
        engine is { } chosen ? Checked(() => mlContext.Model.WithInferenceEngine(model, chosen)) : model;

    /// <summary>Runs <paramref name="build"/>, turning "this engine cannot run the model" into a CLI error.</summary>
    public static T Checked<T>(Func<T> build)
    {
        try { return build(); }
        catch (NotSupportedException e) { throw new CliException(e.Message); }
    }
}
