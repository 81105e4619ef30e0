using MLNet.Transfer.Checkpoints;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.Transfer.Inference;

/// <summary>
/// A model around a BERT encoder (a task model or a tagger) as inference and saving need it: either its TorchSharp module,
/// or — for a model zip loaded on the CPU — the weights still in a private copy of the zip's weights entry, which the ONNX
/// Runtime engine exports from and <c>Model.Save</c> copies without building the module. The module is built on first
/// use of <see cref="Model"/> (around the encoder's own module, the heads loaded from the file), on a thread of its own.
/// </summary>
/// <typeparam name="TModel">The module around the encoder.</typeparam>
internal abstract class DeferredModelSource<TModel> where TModel : nn.Module
{
    private readonly object _buildLock = new();
    private readonly PretrainedEncoder? _encoder;
    private TModel? _model;

    /// <summary>A built model.</summary>
    protected DeferredModelSource(TModel model) => _model = model;

    /// <summary>A model whose encoder is <paramref name="encoder"/> (deferred over <paramref name="weights"/>, which also hold the heads).</summary>
    protected DeferredModelSource(PretrainedEncoder encoder, DeferredBertWeights weights)
    {
        _encoder = encoder;
        Weights = weights;
    }

    /// <summary>The file the model was loaded from (null for a model built in memory).</summary>
    protected DeferredBertWeights? Weights { get; }

    /// <summary>
    /// The encoder whose weights are still in the file, while neither it nor the model has been built (then the file is
    /// what the model is); null otherwise.
    /// </summary>
    public PretrainedEncoder? DeferredEncoder => Volatile.Read(ref _model) is null && _encoder is { IsMaterialized: false } ? _encoder : null;

    /// <summary>The TorchSharp module, built on first use from the encoder's module and the heads in the file.</summary>
    public TModel Model
    {
        get
        {
            if (Volatile.Read(ref _model) is { } model) return model;
            lock (_buildLock) return _model ??= DeferredBertWeights.OnOwnThread(BuildFromFile);
        }
    }

    private TModel BuildFromFile()
    {
        var encoder = _encoder!.Model;
        var tensors = Weights!.LoadTensors();
        try
        {
            var model = Build(encoder, tensors);
            model.eval();
            return model;
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    /// <summary>
    /// The module around <paramref name="encoder"/> (the encoder's own module, which may have changed since it was built, so
    /// only the heads come from the file) with its heads loaded from <paramref name="tensors"/> (the whole file; disposed afterwards).
    /// </summary>
    protected abstract TModel Build(TextEncoder encoder, IReadOnlyDictionary<string, Tensor> tensors);

    /// <summary>Writes the model's state dict in safetensors form, copied from the file while it is deferred (the same bytes).</summary>
    public void WriteStateDict(Stream stream)
    {
        if (DeferredEncoder is not null) Weights!.WriteTaskModelStateDict(stream);
        else Safetensors.Save(stream, Model.state_dict());
    }
}
