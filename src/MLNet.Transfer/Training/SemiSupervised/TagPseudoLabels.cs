using MLNet.Transfer.Models.Tagging;
using MLNet.Transfer.Text;
using MLNet.Transfer.Text.Tagging;

namespace MLNet.Transfer.Training.SemiSupervised;

/// <summary>A tagger teacher's tags for an unlabelled sentence.</summary>
/// <param name="Index">Position of the sentence in the unlabelled pool.</param>
/// <param name="Tags">The teacher's tag index for each word.</param>
/// <param name="Confidence">The sentence's confidence: the probability of its least confident word's tag.</param>
public sealed record TagPseudoLabel(int Index, int[] Tags, float Confidence);

/// <summary>Self-training's choice of pseudo-labelled sentences for a tagger: whole sentences whose every word is confident.</summary>
public static class TagPseudoLabels
{
    /// <summary>
    /// The sentences whose least confident word's tag probability reaches <paramref name="threshold"/>, the most confident
    /// first (or, with <paramref name="sample"/>, drawn at random among them), at most <paramref name="maxSentences"/> (ties
    /// go to the earlier sentence); the result is in pool order. Empty sentences are never chosen.
    /// </summary>
    /// <param name="predictions">The teacher's tags and per-word probabilities for each pooled sentence.</param>
    /// <param name="threshold">Probability every word's tag needs.</param>
    /// <param name="maxSentences">Cap on the sentences chosen.</param>
    /// <param name="sample">Null: the most confident. Otherwise the generator that draws the sentences uniformly among the confident ones.</param>
    public static List<TagPseudoLabel> Select(IReadOnlyList<TagPrediction> predictions, double threshold, int maxSentences, Random? sample = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSentences, 1);
        var confident = new List<TagPseudoLabel>();
        for (int i = 0; i < predictions.Count; i++)
        {
            var p = predictions[i];
            if (p.Tags.Length != p.Scores.Length) throw new ArgumentException($"Prediction {i} has {p.Tags.Length} tags but {p.Scores.Length} scores.", nameof(predictions));
            if (p.Scores.Length == 0) continue;
            float least = p.Scores.Min();
            if (least >= threshold) confident.Add(new TagPseudoLabel(i, p.Tags, least));
        }
        return PseudoLabels.Order(confident, l => l.Confidence, sample).Take(maxSentences).OrderBy(l => l.Index).ToList();
    }

    /// <summary>
    /// A self-training round's choice for <paramref name="tagger"/>: it tags the <paramref name="pool"/> in inference mode
    /// (the trainer switches training mode back on when the student starts) and <see cref="Select"/> keeps the sentences
    /// <paramref name="semi"/>'s confidence and cap allow.
    /// </summary>
    internal static List<TagPseudoLabel> Choose(TaggingModel tagger, BertWordPieceTokenizer tokenizer, IReadOnlyList<IReadOnlyList<string>> pool,
                                                int maxTokens, int batchSize, SemiSupervisedSettings semi, Random? sample)
    {
        tagger.eval();
        return Select(new TagPredictor(tagger, tokenizer, maxTokens, batchSize).Predict(pool), semi.Confidence, semi.MaxPseudoLabelsPerClass, sample);
    }

    /// <summary>The pseudo-labelled sentences of <paramref name="pool"/> with their tags by name, to train a student on.</summary>
    internal static IEnumerable<TaggedSentence> Sentences(IEnumerable<TagPseudoLabel> labels, IReadOnlyList<IReadOnlyList<string>> pool, IReadOnlyList<string> tags) =>
        labels.Select(l => new TaggedSentence([.. pool[l.Index]], [.. l.Tags.Select(t => tags[t])]));

    /// <summary>Pseudo-tagged words per tag (the round report's per-class counts of a tagger or tagging task).</summary>
    /// <param name="labels">Pseudo-tagged sentences.</param>
    /// <param name="tagCount">The tagger's number of tags.</param>
    public static int[] PerTag(IEnumerable<TagPseudoLabel> labels, int tagCount)
    {
        var perTag = new int[tagCount];
        foreach (var label in labels) foreach (int t in label.Tags) perTag[t]++;
        return perTag;
    }
}
