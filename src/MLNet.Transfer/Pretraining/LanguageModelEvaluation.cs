using MLNet.Transfer.Text;
using MLNet.Transfer.Training;
using static TorchSharp.torch;

namespace MLNet.Transfer.Pretraining;

/// <summary>Language-model quality on held-out text.</summary>
/// <param name="Loss">Mean cross-entropy (nats) per predicted token.</param>
/// <param name="Perplexity">exp(<paramref name="Loss"/>).</param>
/// <param name="Accuracy">Share of predicted tokens whose most likely id is the right one.</param>
/// <param name="Predictions">Number of predicted tokens the figures are over.</param>
public sealed record LanguageModelEvaluation(double Loss, double Perplexity, double Accuracy, long Predictions)
{
    /// <summary>As a dictionary for <see cref="TrainingProgress.Validation"/>: loss, perplexity, accuracy.</summary>
    public IReadOnlyDictionary<string, double> ToMetrics() =>
        new Dictionary<string, double> { ["loss"] = Loss, ["perplexity"] = Perplexity, ["accuracy"] = Accuracy };
}

/// <summary>Outcome of <see cref="LanguageModelTrainer"/>.</summary>
/// <param name="Objective">Masked or causal.</param>
/// <param name="Before">Held-out figures before training.</param>
/// <param name="AfterHeadWarmup">Held-out figures after the head-only warm-up (encoder unchanged), or null without one.</param>
/// <param name="After">Held-out figures after training (same held-out text and masking).</param>
/// <param name="Steps">Optimisation steps done (including those before a resume).</param>
/// <param name="TrainLines">Corpus lines trained on.</param>
/// <param name="HeldOutLines">Corpus lines held out.</param>
/// <param name="TrainTokens">Non-padding tokens processed by training steps in this call.</param>
/// <param name="Duration">Wall time of this call, evaluations included.</param>
/// <param name="TokensPerSecond">Training throughput (non-padding tokens per second of training steps, evaluations excluded).</param>
/// <param name="History">Progress reports that followed a periodic evaluation.</param>
public sealed record PretrainingResult(LanguageModelObjective Objective, LanguageModelEvaluation Before, LanguageModelEvaluation? AfterHeadWarmup,
                                       LanguageModelEvaluation After, int Steps,
                                       int TrainLines, int HeldOutLines, long TrainTokens, TimeSpan Duration, double TokensPerSecond,
                                       IReadOnlyList<TrainingProgress> History)
{
    /// <summary>Held-out loss before training.</summary>
    public double HeldOutLossBefore => Before.Loss;
    /// <summary>Held-out loss after training.</summary>
    public double HeldOutLossAfter => After.Loss;
    /// <summary>Held-out perplexity before training.</summary>
    public double PerplexityBefore => Before.Perplexity;
    /// <summary>Held-out perplexity after training.</summary>
    public double PerplexityAfter => After.Perplexity;
}

/// <summary>Computes held-out loss, perplexity and accuracy of a language model (eval mode, no gradients).</summary>
internal static class LanguageModelEvaluator
{
    private const int TokensPerBatch = 8192;

    public static LanguageModelEvaluation Evaluate(ITrainableLanguageModel languageModel, IReadOnlyList<LanguageModelExample> examples)
    {
        var model = languageModel.Network;
        int padId = languageModel.Tokenizer.PadId;
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var _ = no_grad();
            double lossSum = 0;
            long correct = 0, count = 0;
            var device = languageModel.Encoder.Device;
            foreach (var rows in LengthBatching.BatchesByTokenBudget(examples.Select(e => e.InputIds.Length).ToArray(), TokensPerBatch))
            {
                using var scope = NewDisposeScope();
                var batch = rows.Select(r => examples[r]).ToArray();
                if (batch.All(e => e.Predictions == 0)) continue;
                var (tokens, labels) = LanguageModelBatch.Create(batch, padId, device);
                var predictions = languageModel.Predict(tokens, labels);
                lossSum += nn.functional.cross_entropy(predictions.Logits, predictions.Targets, reduction: nn.Reduction.Sum).item<float>();
                correct += predictions.Logits.argmax(1).eq(predictions.Targets).sum().item<long>();
                count += predictions.Targets.shape[0];
            }
            if (count == 0) throw new ArgumentException("No held-out token to predict.");
            double loss = lossSum / count;
            return new LanguageModelEvaluation(loss, Math.Exp(loss), (double)correct / count, count);
        }
        finally
        {
            if (wasTraining) model.train();
        }
    }
}

/// <summary>Pads language-model examples into a <see cref="TokenBatch"/> plus a [batch, seq] int64 label tensor.</summary>
internal static class LanguageModelBatch
{
    public static (TokenBatch Tokens, Tensor Labels) Create(IReadOnlyList<LanguageModelExample> examples, int padId, Device device)
    {
        var tokens = TokenBatch.Create(examples.Select(e => new EncodedText(e.InputIds, new int[e.InputIds.Length])).ToArray(), padId, device);
        int width = tokens.SequenceLength;
        var labels = new long[examples.Count * width];
        Array.Fill(labels, BertLanguageModel.IgnoreLabel);
        for (int row = 0; row < examples.Count; row++)
            for (int t = 0; t < examples[row].Labels.Length; t++) labels[row * width + t] = examples[row].Labels[t];
        return (tokens, tensor(labels, [examples.Count, width], ScalarType.Int64, device));
    }
}
