using MLNet.Transfer.Text;

namespace MLNet.Transfer.Pretraining;

/// <summary>One language-model training input: the (possibly corrupted) ids and what to predict at each position.</summary>
/// <param name="InputIds">Ids fed to the model.</param>
/// <param name="Labels">Target id per position, or <see cref="BertLanguageModel.IgnoreLabel"/> where nothing is predicted.</param>
public readonly record struct LanguageModelExample(int[] InputIds, int[] Labels)
{
    /// <summary>Number of predicted positions.</summary>
    public int Predictions => Labels.Count(l => l != BertLanguageModel.IgnoreLabel);
}

/// <summary>
/// BERT's masking: pick ≈<see cref="MaskingOptions.Probability"/> of the non-special tokens (stochastic rounding, so
/// the expected share is exact even for short texts); of those, <see cref="MaskingOptions.MaskTokenFraction"/>
/// become [MASK], <see cref="MaskingOptions.RandomTokenFraction"/> a random word piece, the rest stay unchanged;
/// all picked tokens are predicted. With whole-word masking a word and all its "##" continuation pieces are
/// picked together. [CLS], [SEP], [PAD] and [MASK] are never picked.
/// </summary>
public sealed class TokenMasking
{
    private readonly MaskingOptions _options;
    private readonly int _maskId;
    private readonly HashSet<int> _special;
    private readonly bool[] _continuation;
    private readonly int[] _replacements;

    /// <summary>Masking for <paramref name="tokenizer"/>'s vocabulary and special tokens.</summary>
    public TokenMasking(BertWordPieceTokenizer tokenizer, MaskingOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        _options = (options ?? new MaskingOptions()).Validate();
        _maskId = tokenizer.MaskId;
        _special = [tokenizer.ClsId, tokenizer.SepId, tokenizer.PadId, tokenizer.MaskId];
        var vocabulary = tokenizer.Vocabulary;
        _continuation = vocabulary.Select(t => t.StartsWith("##", StringComparison.Ordinal)).ToArray();
        // Random replacements are real word pieces: no special, unused ("[unused7]") or empty entries.
        _replacements = Enumerable.Range(0, vocabulary.Count)
            .Where(i => vocabulary[i].Length > 0 && !(vocabulary[i].StartsWith('[') && vocabulary[i].EndsWith(']'))).ToArray();
        if (_replacements.Length == 0) _replacements = Enumerable.Range(0, vocabulary.Count).Where(i => !_special.Contains(i)).ToArray();
    }

    /// <summary>The settings in use.</summary>
    public MaskingOptions Options => _options;

    /// <summary>Id written in place of most picked tokens ([MASK]).</summary>
    public int MaskId => _maskId;

    /// <summary>Whether <paramref name="id"/> is never masked ([CLS], [SEP], [PAD], [MASK]).</summary>
    public bool IsSpecial(int id) => _special.Contains(id);

    /// <summary>Masks a copy of <paramref name="ids"/> ([CLS] … [SEP]) using <paramref name="random"/>.</summary>
    public LanguageModelExample Mask(int[] ids, Random random)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(random);
        var input = (int[])ids.Clone();
        var labels = new int[ids.Length];
        Array.Fill(labels, BertLanguageModel.IgnoreLabel);

        var words = Words(ids);
        int candidates = words.Sum(w => w.Length);
        double expected = candidates * _options.Probability;
        int target = (int)Math.Floor(expected) + (random.NextDouble() < expected - Math.Floor(expected) ? 1 : 0);
        if (target == 0) return new LanguageModelExample(input, labels);

        // Partial Fisher–Yates over the units (tokens, or whole words), taking units while they fit the target.
        var units = _options.WholeWordMasking ? words : words.SelectMany(w => Enumerable.Range(w.Start, w.Length).Select(i => (Start: i, Length: 1))).ToList();
        int covered = 0;
        for (int i = 0; i < units.Count && covered < target; i++)
        {
            int j = random.Next(i, units.Count);
            (units[i], units[j]) = (units[j], units[i]);
            var unit = units[i];
            if (covered + unit.Length > target) continue; // a too-long word is skipped, as in BERT's reference code
            covered += unit.Length;
            for (int p = unit.Start; p < unit.Start + unit.Length; p++)
            {
                labels[p] = ids[p];
                double r = random.NextDouble();
                if (r < _options.MaskTokenFraction) input[p] = _maskId;
                else if (r < _options.MaskTokenFraction + _options.RandomTokenFraction) input[p] = _replacements[random.Next(_replacements.Length)];
            }
        }
        return new LanguageModelExample(input, labels);
    }

    /// <summary>Causal-LM targets: position t predicts the id at t + 1; the last position predicts nothing.</summary>
    public static LanguageModelExample NextToken(int[] ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var labels = new int[ids.Length];
        for (int t = 0; t < ids.Length - 1; t++) labels[t] = ids[t + 1];
        if (ids.Length > 0) labels[^1] = BertLanguageModel.IgnoreLabel;
        return new LanguageModelExample(ids, labels);
    }

    /// <summary>Maximal runs of non-special positions forming words: a piece plus the "##" pieces after it.</summary>
    private List<(int Start, int Length)> Words(int[] ids)
    {
        var words = new List<(int Start, int Length)>();
        for (int i = 0; i < ids.Length; i++)
        {
            if (_special.Contains(ids[i])) continue;
            bool continues = words.Count > 0 && words[^1].Start + words[^1].Length == i && IsContinuation(ids[i]);
            if (continues) words[^1] = (words[^1].Start, words[^1].Length + 1);
            else words.Add((i, 1));
        }
        return words;
    }

    private bool IsContinuation(int id) => (uint)id < (uint)_continuation.Length && _continuation[id];
}
