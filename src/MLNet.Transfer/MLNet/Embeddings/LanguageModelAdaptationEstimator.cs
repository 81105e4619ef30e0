using Microsoft.ML;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.Pretraining;
using MLNet.Transfer.Training;

namespace MLNet.Transfer.MLNetIntegration;

/// <summary>Options of <c>mlContext.Transforms.Text.AdaptLanguageModel</c>.</summary>
public sealed class LanguageModelAdaptationOptions
{
    /// <summary>The encoder to adapt (model name, directory or loaded encoder — copied, never changed), the unlabelled text column (InputColumnName) and the embeddings produced afterwards.</summary>
    public ContextualEmbeddingOptions Embeddings { get; set; } = new();
    /// <summary>
    /// Language-model training settings (objective, steps, masking, learning rates, held-out fraction, checkpoints).
    /// The default is the recipe that measured best for few-shot features from the shipped sentence encoders: 600
    /// masked-LM steps at 5e-5 with the SimCSE term (<see cref="PretrainingSettings.ContrastiveWeight"/> = 1) that keeps
    /// their pooled embeddings usable; longer or faster masked-LM-only adaptation made those embeddings worse (README).
    /// </summary>
    public PretrainingSettings Training { get; set; } = new() { Steps = 600, LearningRate = 5e-5, ContrastiveWeight = 1 };
    /// <summary>Receives a report after every step and evaluation.</summary>
    public IProgress<TrainingProgress>? Progress { get; set; }
    /// <summary>Cancels the adaptation.</summary>
    public CancellationToken CancellationToken { get; set; }
}

/// <summary>
/// Domain-adaptive language-model training (ULMFiT stage 2) as an ML.NET estimator: <see cref="EncoderTuningEstimator.Fit"/> trains a copy of the
/// encoder on the unlabelled texts of the input column (masked or causal LM with a temporary tied head) and returns the
/// featurizer over the adapted encoder. Hand its <c>Encoder</c> to <c>FineTuneTransformerOptions.Encoder</c> to fine-tune
/// from it, or save it as a Hugging Face directory with <c>Encoder.Save(dir)</c>.
/// </summary>
public sealed class LanguageModelAdaptationEstimator(LanguageModelAdaptationOptions options)
    : EncoderTuningEstimator((options ?? throw new ArgumentNullException(nameof(options))).Embeddings)
{
    /// <summary>Held-out loss before and after, steps, throughput of the last <see cref="EncoderTuningEstimator.Fit"/>.</summary>
    public PretrainingResult? LastResult { get; private set; }

    /// <inheritdoc/>
    protected override void Tune(PretrainedEncoder encoder, IDataView input)
    {
        var texts = ReadTexts(input);
        if (texts.Count == 0) throw new InvalidDataException($"Column '{Embeddings.InputColumnName}' has no non-empty text to adapt on.");
        LastResult = LanguageModelTrainer.Adapt(encoder, texts, options.Training, options.Progress, options.CancellationToken);
    }
}
