namespace MLNet.Transfer.Training;

/// <summary>
/// Spots a classifier that learned nothing usable: on validation data it predicts one class for every row, or its balanced
/// accuracy (mean recall over the classes present) is no better than a constant guess (1 / classes).
/// </summary>
public static class DegenerateResult
{
    /// <summary>Balanced accuracy must beat chance by more than this to count as learned.</summary>
    public const double Margin = 0.02;

    /// <summary>A plain-language warning, or null when the predictions look like a model that learned something.</summary>
    /// <param name="predicted">Predicted class per validation row.</param>
    /// <param name="actual">True class per validation row.</param>
    /// <param name="className">Display name of a class index.</param>
    public static string? Check(IReadOnlyList<int> predicted, IReadOnlyList<int> actual, Func<int, string> className)
    {
        ArgumentNullException.ThrowIfNull(predicted);
        ArgumentNullException.ThrowIfNull(actual);
        if (predicted.Count != actual.Count) throw new ArgumentException($"{predicted.Count} predictions but {actual.Count} labels.");
        var classes = actual.Distinct().ToArray();
        if (classes.Length < 2) return null; // nothing to tell apart
        var predictedClasses = predicted.Distinct().ToArray();
        if (predictedClasses.Length == 1)
            return $"the model predicts '{className(predictedClasses[0])}' for every one of the {predicted.Count:N0} validation texts — it has not learned to tell the classes apart.";
        double balanced = classes.Average(c =>
        {
            int total = 0, hit = 0;
            for (int i = 0; i < actual.Count; i++)
                if (actual[i] == c) { total++; if (predicted[i] == c) hit++; }
            return (double)hit / total;
        });
        double chance = 1.0 / classes.Length;
        return balanced <= chance + Margin
            ? $"balanced accuracy on the validation texts is {balanced:P1}, no better than guessing ({chance:P0}) — the model has not learned the task."
            : null;
    }
}
