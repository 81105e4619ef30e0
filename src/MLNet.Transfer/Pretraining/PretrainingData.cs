using MLNet.Transfer.Text;

namespace MLNet.Transfer.Pretraining;

/// <summary>
/// The corpus split into training windows and a held-out set whose targets (masking) are fixed once, so the
/// held-out loss before and after training, and across runs with the same seed, measures the same predictions.
/// </summary>
/// <param name="Train">Token ids of each training window ([CLS] … [SEP]).</param>
/// <param name="HeldOut">Held-out windows with fixed targets.</param>
/// <param name="TrainLines">Corpus lines used for training.</param>
/// <param name="HeldOutLines">Corpus lines held out.</param>
internal sealed record PretrainingData(IReadOnlyList<int[]> Train, IReadOnlyList<LanguageModelExample> HeldOut, int TrainLines, int HeldOutLines)
{
    /// <summary>Drops blank lines, holds out a seeded random <see cref="PretrainingSettings.ValidFraction"/> of the rest, tokenizes both.</summary>
    public static PretrainingData Prepare(BertWordPieceTokenizer tokenizer, TokenMasking masking, IReadOnlyList<string> corpus, PretrainingSettings settings)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        for (int i = 0; i < corpus.Count; i++)
            if (corpus[i] is null) throw new ArgumentNullException(nameof(corpus), $"Corpus line {i} is null.");
        var lines = corpus.Where(l => !string.IsNullOrWhiteSpace(l)).ToArray();
        if (lines.Length == 0) throw new ArgumentException("The corpus is empty: it has no non-blank lines.", nameof(corpus));
        if (lines.Length < 2) throw new ArgumentException("The corpus needs at least 2 non-blank lines: one to train on and one held out to measure the loss.", nameof(corpus));

        var order = Enumerable.Range(0, lines.Length).ToArray();
        new Random(settings.Seed).Shuffle(order);
        int heldOut = Math.Clamp((int)Math.Round(lines.Length * settings.ValidFraction), 1, lines.Length - 1);
        var heldOutLines = order[..heldOut].Order().Select(i => lines[i]).ToArray();
        var trainLines = order[heldOut..].Order().Select(i => lines[i]).ToArray();

        var train = Encode(tokenizer, trainLines, settings.MaxTokens);
        if (train.Count == 0) throw new ArgumentException("The training part of the corpus has no word pieces to learn from.", nameof(corpus));
        var held = FixedTargets(Encode(tokenizer, heldOutLines, settings.MaxTokens), settings.Objective, masking, settings.Seed);
        return new PretrainingData(train, held, trainLines.Length, heldOutLines.Length);
    }

    /// <summary>Each text as consecutive [CLS] … [SEP] windows of at most <paramref name="maxTokens"/>; texts without word pieces are skipped.</summary>
    public static List<int[]> Encode(BertWordPieceTokenizer tokenizer, IReadOnlyList<string> texts, int maxTokens)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTokens, 3);
        var windows = new List<int[]>(texts.Count);
        foreach (var text in texts)
            foreach (var window in tokenizer.EncodeWindows(text ?? throw new ArgumentNullException(nameof(texts), "A text is null."), maxTokens, maxTokens - 2))
                if (window.Length > 2) windows.Add(window.InputIds);
        return windows;
    }

    /// <summary>Targets fixed by <paramref name="seed"/>: window k is masked with its own Random, independent of batching.</summary>
    public static List<LanguageModelExample> FixedTargets(IReadOnlyList<int[]> windows, LanguageModelObjective objective, TokenMasking masking, int seed)
    {
        var examples = new List<LanguageModelExample>(windows.Count);
        for (int k = 0; k < windows.Count; k++)
            examples.Add(objective == LanguageModelObjective.CausalLm
                ? TokenMasking.NextToken(windows[k])
                : masking.Mask(windows[k], new Random(unchecked(seed * 1_000_003 + k))));
        if (examples.Sum(e => e.Predictions) == 0)
            throw new ArgumentException("The held-out text is too short to predict any token; give more text or a larger held-out fraction.");
        return examples;
    }

    /// <summary>
    /// Training examples for one step, masked with a Random derived from the seed and the step (so a resumed run
    /// masks exactly as an uninterrupted one). Guarantees at least one prediction in the batch.
    /// </summary>
    public static LanguageModelExample[] StepExamples(IReadOnlyList<int[]> windows, int[] rows, LanguageModelObjective objective, TokenMasking masking, int seed, int step)
    {
        if (objective == LanguageModelObjective.CausalLm) return rows.Select(r => TokenMasking.NextToken(windows[r])).ToArray();
        var random = new Random(unchecked(seed * 7_919 + step * 104_729 + 1));
        var examples = rows.Select(r => masking.Mask(windows[r], random)).ToArray();
        if (examples.All(e => e.Predictions == 0))
        {
            // Tiny batches of short texts can draw no target; predict the first maskable token instead.
            foreach (var (ids, labels) in examples)
            {
                int p = Array.FindIndex(ids, id => !masking.IsSpecial(id));
                if (p < 0) continue;
                labels[p] = ids[p];
                ids[p] = masking.MaskId;
                break;
            }
        }
        return examples;
    }
}
