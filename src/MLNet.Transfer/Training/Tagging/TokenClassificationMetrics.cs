namespace MLNet.Transfer.Training.Tagging;

/// <summary>Entity-level scores of one entity type.</summary>
/// <param name="Precision">Correct ÷ predicted entities of this type (0 when none predicted).</param>
/// <param name="Recall">Correct ÷ gold entities of this type (0 when none in the gold data).</param>
/// <param name="F1Score">Harmonic mean of precision and recall (0 when both are 0).</param>
/// <param name="Support">Gold entities of this type.</param>
/// <param name="Predicted">Predicted entities of this type.</param>
public sealed record EntityTypeMetrics(double Precision, double Recall, double F1Score, int Support, int Predicted);

/// <summary>
/// Tagging quality in the conlleval / seqeval convention: an entity counts as correct only with the exact span and type.
/// Precision, recall and F1 are fractions in [0, 1] (micro-averaged over entities); <see cref="TokenAccuracy"/> is the
/// share of words whose tag is exactly right (the usual metric for part-of-speech tagging).
/// </summary>
/// <param name="Precision">Correct ÷ predicted entities.</param>
/// <param name="Recall">Correct ÷ gold entities.</param>
/// <param name="F1Score">Harmonic mean of precision and recall.</param>
/// <param name="TokenAccuracy">Correct ÷ all words.</param>
/// <param name="PerType">Scores per entity type, by type name (ordinal order).</param>
/// <param name="Words">Number of words scored.</param>
/// <param name="GoldEntities">Number of gold entities.</param>
/// <param name="PredictedEntities">Number of predicted entities.</param>
public sealed record TokenClassificationMetrics(double Precision, double Recall, double F1Score, double TokenAccuracy,
                                                IReadOnlyDictionary<string, EntityTypeMetrics> PerType, int Words, int GoldEntities, int PredictedEntities)
{
    /// <summary>Scores predicted tag sequences against gold ones (same sentences, same lengths).</summary>
    /// <exception cref="ArgumentException">The counts or a sentence's lengths differ.</exception>
    public static TokenClassificationMetrics Compute(IReadOnlyList<IReadOnlyList<string>> gold, IReadOnlyList<IReadOnlyList<string>> predicted)
    {
        ArgumentNullException.ThrowIfNull(gold);
        ArgumentNullException.ThrowIfNull(predicted);
        if (gold.Count != predicted.Count) throw new ArgumentException($"{gold.Count} gold sentences but {predicted.Count} predicted ones.", nameof(predicted));
        int words = 0, right = 0;
        var goldCounts = new Dictionary<string, int>(StringComparer.Ordinal);
        var predictedCounts = new Dictionary<string, int>(StringComparer.Ordinal);
        var correctCounts = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int s = 0; s < gold.Count; s++)
        {
            if (gold[s].Count != predicted[s].Count)
                throw new ArgumentException($"Sentence {s} has {gold[s].Count} gold tags but {predicted[s].Count} predicted ones.", nameof(predicted));
            for (int w = 0; w < gold[s].Count; w++) { words++; if (gold[s][w] == predicted[s][w]) right++; }
            var goldSpans = EntitySpans.Extract(gold[s]);
            var predictedSpans = EntitySpans.Extract(predicted[s]);
            var goldSet = goldSpans.ToHashSet();
            foreach (var g in goldSpans) Increment(goldCounts, g.Type);
            foreach (var p in predictedSpans)
            {
                Increment(predictedCounts, p.Type);
                if (goldSet.Contains(p)) Increment(correctCounts, p.Type);
            }
        }
        var perType = new SortedDictionary<string, EntityTypeMetrics>(StringComparer.Ordinal);
        foreach (var type in goldCounts.Keys.Union(predictedCounts.Keys))
        {
            int g = goldCounts.GetValueOrDefault(type), p = predictedCounts.GetValueOrDefault(type), c = correctCounts.GetValueOrDefault(type);
            perType[type] = Score(c, g, p);
        }
        int totalGold = goldCounts.Values.Sum(), totalPredicted = predictedCounts.Values.Sum(), totalCorrect = correctCounts.Values.Sum();
        var all = Score(totalCorrect, totalGold, totalPredicted);
        return new TokenClassificationMetrics(all.Precision, all.Recall, all.F1Score, words == 0 ? 0 : (double)right / words,
                                              perType, words, totalGold, totalPredicted);
    }

    /// <summary>A fixed-width table: one row per entity type, then the overall scores and token accuracy.</summary>
    public string ToTable()
    {
        var text = new System.Text.StringBuilder();
        text.AppendLine($"{"type",-20} {"precision",9} {"recall",9} {"f1",9} {"gold",7} {"predicted",9}");
        foreach (var (type, m) in PerType)
            text.AppendLine($"{Shorten(type),-20} {m.Precision,9:F4} {m.Recall,9:F4} {m.F1Score,9:F4} {m.Support,7} {m.Predicted,9}");
        text.AppendLine($"{"all entities",-20} {Precision,9:F4} {Recall,9:F4} {F1Score,9:F4} {GoldEntities,7} {PredictedEntities,9}");
        text.Append($"token accuracy {TokenAccuracy:F4} over {Words} words");
        return text.ToString();
    }

    private static string Shorten(string type) => type.Length <= 20 ? type : type[..17] + "...";

    private static EntityTypeMetrics Score(int correct, int gold, int predicted)
    {
        double p = predicted == 0 ? 0 : (double)correct / predicted, r = gold == 0 ? 0 : (double)correct / gold;
        return new EntityTypeMetrics(p, r, p + r == 0 ? 0 : 2 * p * r / (p + r), gold, predicted);
    }

    private static void Increment(Dictionary<string, int> counts, string key) => counts[key] = counts.GetValueOrDefault(key) + 1;
}
