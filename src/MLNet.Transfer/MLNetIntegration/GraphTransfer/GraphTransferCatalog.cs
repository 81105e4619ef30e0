using MLNet.Transfer;
using MLNet.Transfer.MLNetIntegration;

namespace Microsoft.ML;

/// <summary>
/// MLNet.Transfer's GLoMo-style (reduced) graph transfer in the ML.NET catalogs: classifiers whose token features are
/// reweighted by the graphs a pretrained graph model predicts (see docs/glomo.md).
/// </summary>
public static class GraphTransferCatalog
{
    /// <summary>
    /// Trains a binary graph-transfer classifier on a text column with the graphs of <paramref name="graphModelDirectory"/>
    /// (from <c>mlnet-transfer pretrain --model scratch --arch glomo</c>) applied to MiniLM's word-piece embeddings. Outputs
    /// Score, Probability and PredictedLabel.
    /// </summary>
    public static GraphTransferEstimator GraphTransfer(this BinaryClassificationCatalog.BinaryClassificationTrainers catalog, string graphModelDirectory,
        string labelColumnName = "Label", string textColumnName = "Text", GraphSource graphs = GraphSource.Pretrained, int seed = 1) =>
        new(Options(graphModelDirectory, labelColumnName, textColumnName, graphs, seed), TaskKind.Binary);

    /// <summary>Binary graph transfer with every option.</summary>
    public static GraphTransferEstimator GraphTransfer(this BinaryClassificationCatalog.BinaryClassificationTrainers catalog, GraphTransferOptions options) =>
        new(options, TaskKind.Binary);

    /// <summary>
    /// Trains a multiclass graph-transfer classifier (the label a key from MapValueToKey, or text) with the graphs of
    /// <paramref name="graphModelDirectory"/>. Outputs Score (class probabilities) and PredictedLabel (key).
    /// </summary>
    public static GraphTransferEstimator GraphTransfer(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog, string graphModelDirectory,
        string labelColumnName = "Label", string textColumnName = "Text", GraphSource graphs = GraphSource.Pretrained, int seed = 1) =>
        new(Options(graphModelDirectory, labelColumnName, textColumnName, graphs, seed), TaskKind.Multiclass);

    /// <summary>Multiclass graph transfer with every option.</summary>
    public static GraphTransferEstimator GraphTransfer(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog, GraphTransferOptions options) =>
        new(options, TaskKind.Multiclass);

    private static GraphTransferOptions Options(string graphModelDirectory, string labelColumnName, string textColumnName, GraphSource graphs, int seed) =>
        new() { GraphModelDirectory = graphModelDirectory, LabelColumnName = labelColumnName, TextColumnName = textColumnName, Graphs = graphs, Seed = seed };
}
