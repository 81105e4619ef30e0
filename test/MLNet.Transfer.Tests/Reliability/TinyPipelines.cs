using Microsoft.ML;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.MLNetIntegration;
using MLNet.Transfer.Models.Bert;
using MLNet.Transfer.Tests.MLNetIntegration;
using static TorchSharp.torch;

namespace MLNet.Transfer.Tests.Reliability;

/// <summary>
/// Tiny random-weight models (2 layers, hidden 32, the real 30,522-token WordPiece vocabulary) for reliability tests:
/// an encoder, and an ML.NET chain (contextual embeddings + fine-tuned binary classifier) saved and loaded back
/// through mlContext.Model.Save / Load, as a user would deploy it.
/// </summary>
internal static class TinyPipelines
{
    /// <summary>A tiny encoder with seeded random weights (the same every run). The caller disposes it.</summary>
    public static PretrainedEncoder NewEncoder(int seed = 7)
    {
        var config = TestModels.TinyConfig();
        manual_seed(seed);
        using var bert = new BertModel(config);
        return PretrainedEncoder.FromParts(config, TestModels.MiniLm.Vocabulary, bert.state_dict(), "tiny-random", CPU, "tiny-random");
    }

    /// <summary>Labelled rows for the tiny classifier: "good"-ish texts are positive.</summary>
    public static IDataView TrainingRows(MLContext mlContext) => mlContext.Data.LoadFromEnumerable(
        Enumerable.Range(0, 48).Select(i => new TextRow
        {
            Label = i % 2 == 0,
            Text = i % 2 == 0 ? $"a good and lovely film number {i}" : $"a bad and boring film number {i}",
        }).ToList());

    /// <summary>
    /// Fits embeddings ("Features", mean pooling, 64 tokens) + a fine-tuned binary head (Score, Probability,
    /// PredictedLabel; 1 epoch) on <see cref="TrainingRows"/>, saves the chain to <paramref name="zipPath"/> and
    /// returns it loaded back in a fresh MLContext that called RegisterTransferComponents.
    /// </summary>
    public static (MLContext Context, ITransformer Model) SaveAndLoadChain(string zipPath)
    {
        using var encoder = NewEncoder();
        var mlContext = new MLContext(seed: 1);
        var data = TrainingRows(mlContext);
        var pipeline = mlContext.Transforms.Text.ApplyContextualEmbeddings(new ContextualEmbeddingOptions { Encoder = encoder, MaxTokens = 64 })
            .Append(mlContext.BinaryClassification.Trainers.FineTuneTransformer(new FineTuneTransformerOptions
            {
                Encoder = encoder, Epochs = 1, BatchSize = 8, MaxTokens = 64, LearningRate = 1e-3, Seed = 3,
            }));
        var model = pipeline.Fit(data);
        mlContext.Model.Save(model, data.Schema, zipPath);
        var fresh = new MLContext(seed: 2).RegisterTransferComponents();
        return (fresh, fresh.Model.Load(zipPath, out _));
    }
}

/// <summary>What a PredictionEngine returns for the tiny chain.</summary>
public sealed class ChainPrediction
{
    public float[] Features { get; set; } = [];
    public float Score { get; set; }
    public float Probability { get; set; }
    public bool PredictedLabel { get; set; }
}
