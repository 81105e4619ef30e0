using static TorchSharp.torch;

namespace MLNet.Transfer.Models.Heads;

/// <summary>
/// The OpenAI transformer's (GPT-1) input transformation for multiple choice: each candidate is joined to its context
/// ([CLS] context [SEP] candidate [SEP]), scored on its own by a one-output head, and the scores of a context's candidates
/// are normalised with a softmax across the candidates. Rows hold the candidates of one context next to each other.
/// </summary>
public static class MultipleChoice
{
    /// <summary>Log-probabilities [contexts, candidates] from one score per row, <paramref name="scores"/> [contexts × candidates] or [contexts × candidates, 1].</summary>
    public static Tensor LogProbabilities(Tensor scores, int candidates)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentOutOfRangeException.ThrowIfLessThan(candidates, 2);
        long rows = scores.numel();
        if (rows % candidates != 0)
            throw new ArgumentException($"{rows} scores do not split into groups of {candidates} candidates.", nameof(scores));
        using var grouped = scores.reshape(rows / candidates, candidates);
        return nn.functional.log_softmax(grouped, 1);
    }

    /// <summary>Mean cross-entropy of the right candidates <paramref name="answers"/> (0-based, one per context) under the softmax across candidates.</summary>
    public static Tensor Loss(Tensor scores, int candidates, IReadOnlyList<int> answers)
    {
        ArgumentNullException.ThrowIfNull(answers);
        using var scope = NewDisposeScope();
        var logProbabilities = LogProbabilities(scores, candidates);
        if (answers.Count != logProbabilities.shape[0])
            throw new ArgumentException($"{answers.Count} answers for {logProbabilities.shape[0]} contexts.", nameof(answers));
        if (answers.Any(a => a < 0 || a >= candidates))
            throw new ArgumentOutOfRangeException(nameof(answers), $"Every answer must be a candidate index from 0 to {candidates - 1}.");
        var targets = tensor(answers.Select(a => (long)a).ToArray(), device: scores.device);
        return nn.functional.nll_loss(logProbabilities, targets).MoveToOuterDisposeScope();
    }
}
