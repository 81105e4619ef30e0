using Microsoft.ML;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.Pretraining;

namespace MLNet.Transfer.MLNetIntegration;

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
        LastResult = LanguageModelTrainer.Adapt(encoder, texts, options.ToSettings(), options.Progress, options.CancellationToken);
    }
}
