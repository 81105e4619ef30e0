using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.MLNetIntegration;
using MLNet.Transfer.Training;

namespace MLNet.Transfer.Cli;

/// <summary>
/// The <c>features</c> and <c>baseline</c> approaches with data-aware defaults: features (contextual embeddings averaged
/// over windows for long texts, or FeaturizeText) computed once, then a linear trainer whose L2 strength is chosen by
/// 3-fold cross-validation on the training data (ML.NET's defaults predict one class on small sets), class weights when
/// the classes are imbalanced (which moves the logistic decision boundary the way a tuned threshold would; ML.NET's
/// evaluator ignores a changed threshold, so none is set here).
/// </summary>
public static class FeatureTraining
{
    /// <summary>L2 strengths tried.</summary>
    public static readonly float[] L2Grid = [1e-4f, 1e-3f, 1e-2f, 1e-1f, 1f];
    private const int Folds = 3;
    private const string Weight = "Weight";

    /// <summary>Trains the approach on <paramref name="train"/> (columns Label, Text) and returns the whole model; <paramref name="log"/> receives the choices.</summary>
    public static ITransformer Fit(MLContext mlContext, string task, string approach, string model, IDataView train, Action<string> log,
                                   string device = "cpu")
    {
        IEstimator<ITransformer> features = approach == "features"
            ? mlContext.Transforms.Text.ApplyContextualEmbeddings(ContextualFeatures(model, device))
            : mlContext.Transforms.Text.FeaturizeText("Features", "Text");
        if (approach == "features")
            log($"  features: mean pooling over the last {FeatureLayers} hidden states averaged, L2-normalised; texts longer than {WindowTokens} word pieces are read as windows {WindowTokens / 2} apart, averaged");
        if (task == "multiclass") features = mlContext.Transforms.Conversion.MapValueToKey("Label").Append(features);
        var featurizer = features.Fit(train);
        var featurized = mlContext.Data.Cache(featurizer.Transform(train));
        if (task == "regression")
            return featurizer.Append(mlContext.Regression.Trainers.Sdca().Fit(featurized));

        var counts = ClassCounts(featurized, task);
        bool imbalanced = DataProfile.Imbalance(counts) >= TrainingDefaults.ImbalancedRatio;
        var data = imbalanced ? WithClassWeights(mlContext, featurized, task, counts) : featurized;
        float l2 = ChooseL2(mlContext, task, data, imbalanced);
        log($"  {(imbalanced ? $"classes imbalanced {DataProfile.Imbalance(counts):F1}:1 → class weights; " : "")}L2 {l2:G} chosen by {Folds}-fold cross-validation (log-loss) from {string.Join(", ", L2Grid.Select(v => v.ToString("G")))}");
        if (task == "multiclass")
            return featurizer.Append(Multiclass(mlContext, l2, imbalanced).Fit(data));

        return featurizer.Append(Binary(mlContext, l2, imbalanced).Fit(data));
    }

    /// <summary>
    /// Mean-pooled states averaged over the last <see cref="FeatureLayers"/> hidden states, L2-normalised, in windows of
    /// <see cref="WindowTokens"/> word pieces half a window apart, averaged over long texts. Frozen features from a mix
    /// of layers carry more than the last layer alone (ELMo; BERT's feature-based NER used its last four layers);
    /// measured in docs/training-defaults.md.
    /// </summary>
    public static ContextualEmbeddingOptions ContextualFeatures(string model, string device = "cpu")
    {
        // Loaded once: the featurizer uses this encoder (and saves its name) instead of loading the model again.
        var encoder = PretrainedEncoder.Load(model, device);
        int states = encoder.LayerCount + 1; // + the embedding output
        return new ContextualEmbeddingOptions
        {
            // Mean pooling pinned: the recipe averages several layers, whose measured figures used mean (not the model's own CLS for arctic-xs).
            Model = model, Encoder = encoder, Pooling = PoolingMode.Mean, Normalize = true, MaxTokens = WindowTokens, WindowStride = WindowTokens / 2,
            Layers = [.. Enumerable.Range(1, Math.Min(FeatureLayers, states)).Select(k => -k)], Combination = LayerCombination.Average,
        };
    }

    /// <summary>How many of the top hidden states the features average.</summary>
    public const int FeatureLayers = 4;

    /// <summary>The window length for features: all-MiniLM-L6-v2 was trained on texts of up to 128 word pieces.</summary>
    public const int WindowTokens = 128;

    private static IEstimator<ITransformer> Binary(MLContext mlContext, float l2, bool weighted) =>
        mlContext.BinaryClassification.Trainers.LbfgsLogisticRegression(new LbfgsLogisticRegressionBinaryTrainer.Options
        {
            L1Regularization = 0, L2Regularization = l2, ExampleWeightColumnName = weighted ? Weight : null,
        });

    private static IEstimator<ITransformer> Multiclass(MLContext mlContext, float l2, bool weighted) =>
        mlContext.MulticlassClassification.Trainers.LbfgsMaximumEntropy(new LbfgsMaximumEntropyMulticlassTrainer.Options
        {
            L1Regularization = 0, L2Regularization = l2, ExampleWeightColumnName = weighted ? Weight : null,
        });

    /// <summary>The L2 with the lowest mean held-out log-loss over the folds (unweighted, so it is the plain fit that counts).</summary>
    private static float ChooseL2(MLContext mlContext, string task, IDataView data, bool weighted)
    {
        var folds = mlContext.Data.CrossValidationSplit(data, Folds, seed: 1);
        float best = 1;
        double bestLoss = double.PositiveInfinity;
        foreach (float l2 in L2Grid)
        {
            double loss = 0;
            int rows = 0;
            foreach (var fold in folds)
            {
                IDataView scored;
                try
                {
                    scored = task == "binary" ? Binary(mlContext, l2, weighted).Fit(fold.TrainSet).Transform(fold.TestSet)
                                              : Multiclass(mlContext, l2, weighted).Fit(fold.TrainSet).Transform(fold.TestSet);
                }
                catch (InvalidOperationException) { continue; } // a fold with one class cannot train; the others decide
                var (sum, n) = task == "binary" ? BinaryLogLoss(scored) : MulticlassLogLoss(scored);
                loss += sum;
                rows += n;
            }
            if (rows > 0 && loss / rows < bestLoss) { bestLoss = loss / rows; best = l2; }
        }
        return best;
    }

    private static (double Sum, int Rows) BinaryLogLoss(IDataView scored)
    {
        double sum = 0;
        int n = 0;
        using var cursor = scored.GetRowCursor(scored.Schema.Where(c => c.Name is "Label" or "Probability"));
        var label = cursor.GetGetter<bool>(scored.Schema["Label"]);
        var probability = cursor.GetGetter<float>(scored.Schema["Probability"]);
        bool y = false; float p = 0;
        while (cursor.MoveNext())
        {
            label(ref y); probability(ref p);
            sum -= Math.Log(Math.Clamp(y ? p : 1 - p, 1e-15, 1));
            n++;
        }
        return (sum, n);
    }

    private static (double Sum, int Rows) MulticlassLogLoss(IDataView scored)
    {
        double sum = 0;
        int n = 0;
        using var cursor = scored.GetRowCursor(scored.Schema.Where(c => c.Name is "Label" or "Score"));
        var label = cursor.GetGetter<uint>(scored.Schema["Label"]);
        var score = cursor.GetGetter<VBuffer<float>>(scored.Schema["Score"]);
        uint y = 0; VBuffer<float> s = default;
        while (cursor.MoveNext())
        {
            label(ref y); score(ref s);
            if (y == 0) continue; // missing key
            sum -= Math.Log(Math.Clamp(s.GetItemOrDefault((int)y - 1), 1e-15, 1));
            n++;
        }
        return (sum, n);
    }

    /// <summary>Rows per class: binary [false, true]; multiclass by key index.</summary>
    private static int[] ClassCounts(IDataView data, string task)
    {
        var column = data.Schema["Label"];
        using var cursor = data.GetRowCursor([column]);
        if (task == "binary")
        {
            var get = cursor.GetGetter<bool>(column);
            var counts = new int[2];
            bool v = false;
            while (cursor.MoveNext()) { get(ref v); counts[v ? 1 : 0]++; }
            return counts;
        }
        var key = cursor.GetGetter<uint>(column);
        var byKey = new int[(int)((KeyDataViewType)column.Type).Count];
        uint k = 0;
        while (cursor.MoveNext()) { key(ref k); if (k > 0) byKey[k - 1]++; }
        return byKey;
    }

    /// <summary>Adds a Weight column: n / (classes × rows of the class), so every class weighs the same in the loss.</summary>
    private static IDataView WithClassWeights(MLContext mlContext, IDataView data, string task, int[] counts)
    {
        int classes = counts.Count(c => c > 0);
        double n = counts.Sum();
        float WeightOf(int index) => counts[index] == 0 ? 0f : (float)(n / (classes * counts[index]));
        if (task == "binary")
            return mlContext.Transforms.Conversion.MapValue(Weight, new[] { new KeyValuePair<bool, float>(false, WeightOf(0)), new(true, WeightOf(1)) }, "Label")
                .Fit(data).Transform(data);
        var pairs = Enumerable.Range(0, counts.Length).Select(i => new KeyValuePair<uint, float>((uint)i + 1, WeightOf(i)));
        return mlContext.Transforms.Conversion.ConvertType("LabelIndex", "Label", DataKind.UInt32)
            .Append(mlContext.Transforms.Conversion.MapValue(Weight, pairs, "LabelIndex")).Fit(data).Transform(data);
    }
}
