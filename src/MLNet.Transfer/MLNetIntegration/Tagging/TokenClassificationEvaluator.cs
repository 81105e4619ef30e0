using Microsoft.ML;
using MLNet.Transfer.Training.Tagging;

namespace MLNet.Transfer.MLNetIntegration;

/// <summary>Scores predicted tag sequences against gold ones in an <see cref="IDataView"/> (conlleval / seqeval convention).</summary>
internal static class TokenClassificationEvaluator
{
    /// <summary>Entity-level precision/recall/F1, per-type scores and token accuracy of <paramref name="data"/>.</summary>
    public static TokenClassificationMetrics Evaluate(IDataView data, string labelColumnName, string predictedLabelColumnName)
    {
        ArgumentNullException.ThrowIfNull(data);
        var gold = TagSequenceColumns.Read(data, labelColumnName, "Label");
        var predicted = TagSequenceColumns.Read(data, predictedLabelColumnName, "Predicted label");
        for (int r = 0; r < gold.Count; r++)
            if (gold[r].Length != predicted[r].Length)
                throw new InvalidDataException($"Row {r + 1}: {gold[r].Length} gold tags in '{labelColumnName}' but {predicted[r].Length} predicted in '{predictedLabelColumnName}'.");
        return TokenClassificationMetrics.Compute(gold, predicted);
    }
}
