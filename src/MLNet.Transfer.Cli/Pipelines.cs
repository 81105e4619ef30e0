using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transfer.MLNetIntegration;

namespace MLNet.Transfer.Cli;

/// <summary>The ML.NET pipelines behind the three approaches.</summary>
public static class Pipelines
{
    /// <summary>Builds the pipeline over (Label, Text) for a task and approach.</summary>
    public static IEstimator<ITransformer> Build(MLContext mlContext, string task, string approach, FineTuneTransformerOptions fineTune)
    {
        IEstimator<ITransformer> start = task == "multiclass"
            ? mlContext.Transforms.Conversion.MapValueToKey("Label")
            : new EstimatorChain<ITransformer>();
        IEstimator<ITransformer> body;
        if (approach == "finetune")
        {
            body = task switch
            {
                "binary" => mlContext.BinaryClassification.Trainers.FineTuneTransformer(fineTune),
                "multiclass" => mlContext.MulticlassClassification.Trainers.FineTuneTransformer(fineTune),
                _ => mlContext.Regression.Trainers.FineTuneTransformer(fineTune),
            };
        }
        else
        {
            IEstimator<ITransformer> features = approach == "features"
                ? mlContext.Transforms.Text.ApplyContextualEmbeddings("Features", "Text", fineTune.Model, normalize: true)
                : mlContext.Transforms.Text.FeaturizeText("Features", "Text");
            IEstimator<ITransformer> trainer = task switch
            {
                "binary" => mlContext.BinaryClassification.Trainers.LbfgsLogisticRegression(),
                "multiclass" => mlContext.MulticlassClassification.Trainers.LbfgsMaximumEntropy(),
                _ => mlContext.Regression.Trainers.Sdca(),
            };
            // Trainers pass over the data many times: cache the features instead of re-encoding every pass.
            body = features.AppendCacheCheckpoint(mlContext).Append(trainer);
        }
        // PredictedLabel stays a key (what ML.NET's multiclass evaluator expects); predict maps it back to its name.
        return start.Append(body);
    }
}
