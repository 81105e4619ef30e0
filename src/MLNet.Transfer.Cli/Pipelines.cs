using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transfer.MLNetIntegration;

namespace MLNet.Transfer.Cli;

/// <summary>The ML.NET pipeline behind <c>--approach finetune</c> (features and baseline: <see cref="FeatureTraining"/>).</summary>
public static class Pipelines
{
    /// <summary>Builds the fine-tuning pipeline over (Label, Text) for a task.</summary>
    public static IEstimator<ITransformer> FineTune(MLContext mlContext, string task, FineTuneTransformerOptions fineTune)
    {
        IEstimator<ITransformer> start = task == "multiclass"
            ? mlContext.Transforms.Conversion.MapValueToKey("Label")
            : new EstimatorChain<ITransformer>();
        IEstimator<ITransformer> trainer = task switch
        {
            "binary" => mlContext.BinaryClassification.Trainers.FineTuneTransformer(fineTune),
            "multiclass" => mlContext.MulticlassClassification.Trainers.FineTuneTransformer(fineTune),
            _ => mlContext.Regression.Trainers.FineTuneTransformer(fineTune),
        };
        // PredictedLabel stays a key (what ML.NET's multiclass evaluator expects); predict maps it back to its name.
        return start.Append(trainer);
    }
}
