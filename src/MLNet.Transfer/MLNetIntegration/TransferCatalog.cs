using MLNet.Transfer;
using MLNet.Transfer.Models;
using MLNet.Transfer.Models.Heads;
using MLNet.Transfer.MLNetIntegration;

namespace Microsoft.ML;

/// <summary>MLNet.Transfer's entries in the ML.NET catalogs.</summary>
public static class TransferCatalog
{
    /// <summary>
    /// Registers MLNet.Transfer's saved-model loaders in this context; call it once before <c>mlContext.Model.Load</c>
    /// of a model that contains contextual embeddings or a fine-tuned transformer (ML.NET's loader catalog is
    /// internal, so it cannot find them on its own). Returns the context, e.g.
    /// <c>var mlContext = new MLContext(seed: 1).RegisterTransferComponents();</c>.
    /// </summary>
    public static MLContext RegisterTransferComponents(this MLContext mlContext)
    {
        TransferComponents.Register(mlContext);
        return mlContext;
    }

    /// <summary>
    /// A stratified few-shot sample: <paramref name="k"/> rows per class of <paramref name="labelColumnName"/> (all rows of a
    /// smaller class), reproducible for <paramref name="seed"/>, nested across k (see <see cref="FewShotSampling"/>).
    /// </summary>
    public static IDataView SampleKPerClass(this DataOperationsCatalog catalog, IDataView data, string labelColumnName, int k, int seed = 0) =>
        FewShotSampling.Sample(data, labelColumnName, k, seed);

    /// <summary>
    /// Contextual sentence embeddings from a pretrained encoder (default all-MiniLM-L6-v2) as a known-size Single vector
    /// column, ready for any ML.NET trainer; pooling and normalisation default to the model's own
    /// (<see cref="MLNet.Transfer.Encoders.PretrainedEncoder.EmbeddingDefaults"/>).
    /// </summary>
    /// <param name="catalog">The text transforms catalog.</param>
    /// <param name="outputColumnName">Vector column to create.</param>
    /// <param name="inputColumnName">Text column to read (default: same as output).</param>
    /// <param name="model">Embedded model name ("minilm", "arctic-xs") or Hugging Face directory.</param>
    /// <param name="pooling">Token pooling; null = the model's own (CLS for arctic-xs or a sentence-transformers directory that says so, else mean).</param>
    /// <param name="normalize">L2-normalise the vectors; null = the model's own (true for the embedded models and a Normalize module).</param>
    public static ContextualEmbeddingEstimator ApplyContextualEmbeddings(this TransformsCatalog.TextTransforms catalog, string outputColumnName,
        string? inputColumnName = null, string model = "minilm", PoolingMode? pooling = null, bool? normalize = null) =>
        new(new ContextualEmbeddingOptions
        {
            OutputColumnName = outputColumnName, InputColumnName = inputColumnName ?? outputColumnName, Model = model,
            Pooling = pooling, Normalize = normalize,
        });

    /// <summary>
    /// SetFit (Tunstall et al. 2022): contrastively tunes a copy of the encoder on the labelled rows, then produces its
    /// embeddings like <c>ApplyContextualEmbeddings</c>; append an ML.NET trainer on the output column. Few-shot friendly.
    /// </summary>
    public static SetFitEmbeddingEstimator ApplySetFitEmbeddings(this TransformsCatalog.TextTransforms catalog, SetFitEmbeddingOptions options) => new(options);

    /// <summary>
    /// Domain adaptation (ULMFiT stage 2): continues language-model training of a copy of the encoder on the unlabelled texts
    /// of the input column, then produces its embeddings; its <c>Encoder</c> can start fine-tuning.
    /// </summary>
    public static LanguageModelAdaptationEstimator AdaptLanguageModel(this TransformsCatalog.TextTransforms catalog, LanguageModelAdaptationOptions options) => new(options);

    /// <summary>Contextual embeddings with every option (layers, ELMo scalar mix, windows, pairs, ...).</summary>
    public static ContextualEmbeddingEstimator ApplyContextualEmbeddings(this TransformsCatalog.TextTransforms catalog, ContextualEmbeddingOptions options) => new(options);

    /// <summary>Fine-tunes a pretrained encoder as a binary classifier on a text column (outputs Score, Probability, PredictedLabel).</summary>
    public static FineTuneTransformerEstimator FineTuneTransformer(this BinaryClassificationCatalog.BinaryClassificationTrainers catalog,
        string labelColumnName = "Label", string textColumnName = "Text", string model = "minilm", int epochs = 3) =>
        new(new FineTuneTransformerOptions { LabelColumnName = labelColumnName, TextColumnName = textColumnName, Model = model, Epochs = epochs }, TaskKind.Binary);

    /// <summary>Binary fine-tuning with every option.</summary>
    public static FineTuneTransformerEstimator FineTuneTransformer(this BinaryClassificationCatalog.BinaryClassificationTrainers catalog, FineTuneTransformerOptions options) =>
        new(options, TaskKind.Binary);

    /// <summary>Fine-tunes a pretrained encoder as a multiclass classifier; the label must be a key (MapValueToKey). Outputs Score (probabilities) and PredictedLabel (key).</summary>
    public static FineTuneTransformerEstimator FineTuneTransformer(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string labelColumnName = "Label", string textColumnName = "Text", string model = "minilm", int epochs = 3) =>
        new(new FineTuneTransformerOptions { LabelColumnName = labelColumnName, TextColumnName = textColumnName, Model = model, Epochs = epochs }, TaskKind.Multiclass);

    /// <summary>Multiclass fine-tuning with every option.</summary>
    public static FineTuneTransformerEstimator FineTuneTransformer(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog, FineTuneTransformerOptions options) =>
        new(options, TaskKind.Multiclass);

    /// <summary>
    /// Multi-label fine-tuning: several independent yes/no labels per text (e.g. toxic, obscene, insult), from a known-size
    /// vector label column of Boolean (or 0/1). Outputs vectors with one slot per label: Score (logits), Probability and
    /// PredictedLabel (Boolean). Evaluate a label with the binary evaluator after selecting its slot.
    /// </summary>
    public static FineTuneTransformerEstimator FineTuneMultiLabel(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog, FineTuneTransformerOptions options) =>
        new(options, TaskKind.MultiLabel);

    /// <summary>
    /// Multi-task fine-tuning: one shared encoder, one head per task (binary, multiclass, regression, multi-label), trained
    /// jointly; adds each task's prediction columns named "&lt;task&gt;.Score", "&lt;task&gt;.Probability", "&lt;task&gt;.PredictedLabel".
    /// </summary>
    public static MultiTaskFineTuneEstimator FineTuneMultiTask(this TransformsCatalog.TextTransforms catalog, MultiTaskFineTuneOptions options) => new(options);

    /// <summary>Fine-tunes a pretrained encoder as a regressor on a text column (outputs Score).</summary>
    public static FineTuneTransformerEstimator FineTuneTransformer(this RegressionCatalog.RegressionTrainers catalog,
        string labelColumnName = "Label", string textColumnName = "Text", string model = "minilm", int epochs = 3) =>
        new(new FineTuneTransformerOptions { LabelColumnName = labelColumnName, TextColumnName = textColumnName, Model = model, Epochs = epochs }, TaskKind.Regression);

    /// <summary>Regression fine-tuning with every option.</summary>
    public static FineTuneTransformerEstimator FineTuneTransformer(this RegressionCatalog.RegressionTrainers catalog, FineTuneTransformerOptions options) =>
        new(options, TaskKind.Regression);
}
