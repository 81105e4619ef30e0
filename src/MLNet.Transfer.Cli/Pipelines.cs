using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transfer.MLNetIntegration;

namespace MLNet.Transfer.Cli;

/// <summary>The ML.NET pipelines behind <c>--approach finetune</c> and <c>--graphs</c> (features and baseline: <see cref="FeatureTraining"/>).</summary>
public static class Pipelines
{
    /// <summary>Builds the fine-tuning pipeline over (Label, Text) for a task.</summary>
    public static IEstimator<ITransformer> FineTune(MLContext mlContext, string task, FineTuneTransformerOptions fineTune)
    {
        IEstimator<ITransformer> trainer = task switch
        {
            "binary" => mlContext.BinaryClassification.Trainers.FineTuneTransformer(fineTune),
            "multiclass" => mlContext.MulticlassClassification.Trainers.FineTuneTransformer(fineTune),
            _ => mlContext.Regression.Trainers.FineTuneTransformer(fineTune),
        };
        return LabelKeys(mlContext, task).Append(trainer);
    }

    /// <summary>Builds the GLoMo-style graph-transfer pipeline over (Label, Text) for a binary or multiclass task.</summary>
    public static IEstimator<ITransformer> GraphTransfer(MLContext mlContext, string task, GraphTransferOptions options) =>
        LabelKeys(mlContext, task).Append(task == "multiclass"
            ? mlContext.MulticlassClassification.Trainers.GraphTransfer(options)
            : mlContext.BinaryClassification.Trainers.GraphTransfer(options));

    /// <summary>
    /// Multiclass labels mapped to keys before the trainer; PredictedLabel stays a key (what ML.NET's multiclass evaluator
    /// expects) and predict maps it back to its name.
    /// </summary>
    private static IEstimator<ITransformer> LabelKeys(MLContext mlContext, string task) => task == "multiclass"
        ? mlContext.Transforms.Conversion.MapValueToKey("Label")
        : new EstimatorChain<ITransformer>();
}
