using Microsoft.ML;

namespace MLNet.Transfer.Cli;

/// <summary>
/// <c>--engine auto|onnxruntime|libtorch</c> on <c>predict</c>, <c>evaluate</c> and <c>embed</c>: which runtime computes the
/// forward passes (see <see cref="InferenceEngine"/>). Without it a saved model runs on the engine it was saved with
/// (Auto unless chosen otherwise) and <c>embed</c> on Auto.
/// </summary>
internal static class EngineOption
{
    /// <summary>The choices of --engine.</summary>
    private static readonly string[] Choices = ["auto", "onnxruntime", "libtorch"];

    /// <summary>--engine on predict and evaluate, which run a saved model.</summary>
    public static CliOption ForSavedModel { get; } = CliOption.OneOf("engine", Choices,
        "Which runtime computes the forward passes: auto (ONNX Runtime over our own export where it can run the model, else LibTorch), "
        + "onnxruntime or libtorch.", "the engine the model was saved with (auto unless chosen in code)");

    /// <summary>--engine on embed.</summary>
    public static CliOption ForEmbed { get; } = CliOption.OneOf("engine", Choices,
        "auto (default: ONNX Runtime over our own export for a BERT model on the CPU, else LibTorch), onnxruntime or libtorch; "
        + "the vectors are those of ApplyContextualEmbeddings with the same settings.");

    /// <summary>The engine named on the command line, or null.</summary>
    public static InferenceEngine? Read(CliArguments args) => args.Choice("engine") switch
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
