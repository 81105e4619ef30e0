using Microsoft.ML;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.Runtime;

namespace MLNet.Transfer.MLNetIntegration;

/// <summary>
/// Base of estimators that tune a copy of a pretrained encoder on their input (contrastive SetFit tuning, language-model
/// domain adaptation) and return a <see cref="ContextualEmbeddingTransformer"/> over the tuned encoder. Its
/// <see cref="ContextualEmbeddingTransformer.Encoder"/> can also start fine-tuning (<c>FineTuneTransformerOptions.Encoder</c>)
/// or be saved as a Hugging Face directory.
/// </summary>
public abstract class EncoderTuningEstimator : IEstimator<ContextualEmbeddingTransformer>
{
    /// <summary>The featurizer options; their encoder (or model) is the starting point and is never changed.</summary>
    protected ContextualEmbeddingOptions Embeddings { get; }

    /// <summary>Checks the options.</summary>
    protected EncoderTuningEstimator(ContextualEmbeddingOptions embeddings)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        Embeddings = embeddings;
    }

    /// <summary>Copies (or loads) the encoder, tunes it on <paramref name="input"/> and returns the featurizer that uses it.</summary>
    public ContextualEmbeddingTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        LibTorchRequirement.Ensure("Tuning the encoder (EncoderTuningEstimator.Fit)");
        SchemaShapes.RequireText(input.Schema, Embeddings.InputColumnName, "Input");
        var encoder = Embeddings.Encoder?.Clone() ?? PretrainedEncoder.Load(Embeddings.Model, Embeddings.Device);
        try
        {
            Tune(encoder, input);
            return new ContextualEmbeddingTransformer(encoder, Embeddings);
        }
        catch
        {
            encoder.Dispose();
            throw;
        }
    }

    /// <summary>Trains <paramref name="encoder"/> (a private copy) in place on <paramref name="input"/>.</summary>
    protected abstract void Tune(PretrainedEncoder encoder, IDataView input);

    /// <summary>Adds the embedding column after checking the text column.</summary>
    public virtual SchemaShape GetOutputSchema(SchemaShape inputSchema) => new ContextualEmbeddingEstimator(Embeddings).GetOutputSchema(inputSchema);

    /// <summary>The non-empty texts of the input column.</summary>
    protected List<string> ReadTexts(IDataView input) => TextColumnReader.NonBlank(input, Embeddings.InputColumnName);
}
