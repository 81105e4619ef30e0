using MLNet.Transfer;
using MLNet.Transfer.MLNetIntegration;
using MLNet.Transfer.Text.Tagging;
using MLNet.Transfer.Training.Tagging;

namespace Microsoft.ML;

/// <summary>MLNet.Transfer's sequence-labelling entries in the ML.NET catalogs: load CoNLL data, train a tagger, evaluate it.</summary>
public static class TaggingCatalog
{
    /// <summary>
    /// Loads a CoNLL-style file (UTF-8, <c>token&lt;TAB&gt;tag</c> per line, a blank line between sentences) as one row per
    /// sentence with a Tokens and a Tags column (variable-length vectors of text).
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">A malformed line or an empty file; the message starts with "path:line:".</exception>
    public static IDataView LoadFromConllFile(this DataOperationsCatalog catalog, string path) =>
        ConllDataLoading.Load(CatalogContext(catalog), ConllReader.ReadFile(path));

    /// <summary>Sentences already in memory as rows with a Tokens and a Tags column.</summary>
    public static IDataView LoadFromTaggedSentences(this DataOperationsCatalog catalog, IEnumerable<TaggedSentence> sentences) =>
        ConllDataLoading.Load(CatalogContext(catalog), sentences);

    /// <summary>
    /// Fine-tunes a pretrained encoder as a tagger (token classification: named entities, part-of-speech, ...) on a words
    /// column ("Tokens", vector of text) and a tags column ("Tags"); outputs PredictedLabel (vector of keys with the tag
    /// names as KeyValues) and Score (probability of each predicted tag).
    /// </summary>
    public static TokenClassifierEstimator FineTuneTokenClassifier(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string labelColumnName = "Tags", string tokensColumnName = "Tokens", string model = "minilm", int epochs = 3) =>
        new(new TokenClassifierOptions { LabelColumnName = labelColumnName, TokensColumnName = tokensColumnName, Model = model, Epochs = epochs });

    /// <summary>Token classification with every option (CRF head, frozen-encoder features route, validation set, ...).</summary>
    public static TokenClassifierEstimator FineTuneTokenClassifier(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog, TokenClassifierOptions options) =>
        new(options);

    /// <summary>
    /// Evaluates a tagger's output: entity-level precision, recall and F1 (exact span and type, as conlleval / seqeval), a
    /// per-type table and token accuracy. The label column is a vector of text or keys; the predicted column a vector of keys
    /// with KeyValues (or of text).
    /// </summary>
    public static TokenClassificationMetrics EvaluateTokenClassification(this MulticlassClassificationCatalog catalog, IDataView data,
        string labelColumnName = "Tags", string predictedLabelColumnName = "PredictedLabel") =>
        TokenClassificationEvaluator.Evaluate(data, labelColumnName, predictedLabelColumnName);

    private static MLContext CatalogContext(DataOperationsCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        // LoadFromEnumerable needs only an environment; a fresh MLContext serves (the catalog's own environment is internal).
        return new MLContext();
    }
}
