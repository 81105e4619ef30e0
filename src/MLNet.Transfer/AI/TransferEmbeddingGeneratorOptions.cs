using MLNet.Transfer.Encoders;

namespace MLNet.Transfer.AI;

/// <summary>What <c>services.AddTransferEmbeddingGenerator(...)</c> registers: see <see cref="TransferEmbeddingGenerator.Load"/>.</summary>
public sealed class TransferEmbeddingGeneratorOptions
{
    /// <summary>Embedded model name ("minilm", "arctic-xs"), a model directory, or a saved ML.NET model file. Default "minilm".</summary>
    public string Model { get; set; } = "minilm";

    /// <summary>Pooling, layers, normalisation, token budget, batch size; null (default) = <see cref="TransferEmbeddingGenerator.DefaultSettings(PretrainedEncoder)"/> (the model's own). Must stay null for a model file.</summary>
    public EmbeddingSettings? Settings { get; set; }

    /// <summary>"cpu" (default), "cuda" or "cuda:N" (a model file loads on the CPU).</summary>
    public string? Device { get; set; }

    /// <summary>For a model file with several embedding columns: the one to use. Default null (the only one).</summary>
    public string? OutputColumnName { get; set; }

    /// <summary>Where the forward passes run; null (default) = <see cref="InferenceEngine.Auto"/> for a name or directory, the saved engine for a model file.</summary>
    public InferenceEngine? Engine { get; set; }

    /// <summary>Loads the generator these options describe.</summary>
    internal TransferEmbeddingGenerator Create() => TransferEmbeddingGenerator.Load(Model, Settings, Device, OutputColumnName, Engine);
}
