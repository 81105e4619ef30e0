using MLNet.Transfer.Checkpoints;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.Models;
using MLNet.Transfer.Models.Tagging;
using MLNet.Transfer.Onnx;

namespace MLNet.Transfer.Inference;

/// <summary>
/// A token classifier (a <see cref="TaggingModel"/>) as inference and saving need it: either its TorchSharp module, or — for
/// a tagger zip loaded on the CPU — the weights still in a private copy of the zip's weights entry, from which the ONNX
/// Runtime engine exports its emissions graph, decoding reads the CRF's scores and <c>Model.Save</c> copies, without
/// building the module. The module is built (around the encoder's own module, the head loaded from the file) when something
/// needs it: LibTorch, the public ONNX export, a device copy, training.
/// </summary>
internal sealed class TaggerModelSource
{
    private readonly object _buildLock = new();
    private readonly PretrainedEncoder? _encoder;
    private readonly DeferredBertWeights? _weights;
    private TaggingModel? _model;

    /// <summary>A built model.</summary>
    public TaggerModelSource(TaggingModel model)
    {
        _model = model;
        Spec = model.Spec;
    }

    /// <summary>A tagger whose encoder is <paramref name="encoder"/> (deferred over <paramref name="weights"/>, which also hold the head).</summary>
    public TaggerModelSource(PretrainedEncoder encoder, DeferredBertWeights weights, TaggerSpec spec)
    {
        _encoder = encoder;
        _weights = weights;
        Spec = spec;
    }

    /// <summary>The head a tagger for <paramref name="spec"/> over a BERT of <paramref name="config"/> stores besides the encoder: names and shapes.</summary>
    public static IReadOnlyList<(string Name, long[] Shape)> HeadWeights(BertConfig config, TaggerSpec spec) =>
        TaggingModel.HeadWeightShapes(spec, config.HiddenSize, config.NumHiddenLayers);

    /// <summary>The tag set, head and route.</summary>
    public TaggerSpec Spec { get; }

    /// <summary>The encoder whose weights are still in the file, while neither it nor the tagger has been built; null otherwise.</summary>
    public PretrainedEncoder? DeferredEncoder => Volatile.Read(ref _model) is null && _encoder is { IsMaterialized: false } ? _encoder : null;

    /// <summary>The TorchSharp module, built on first use from the encoder's module and the head in the file.</summary>
    public TaggingModel Model
    {
        get
        {
            if (Volatile.Read(ref _model) is { } model) return model;
            lock (_buildLock) return _model ??= DeferredBertWeights.OnOwnThread(Build);
        }
    }

    private TaggingModel Build()
    {
        var encoder = _encoder!.Model;
        var model = new TaggingModel(encoder, Spec, 0);
        var tensors = _weights!.LoadTensors();
        try
        {
            // Only the head comes from the file: the encoder's module may have changed since it was built.
            var weights = HeadWeights(_weights.Config, Spec).ToDictionary(w => w.Name, w => tensors[w.Name]);
            foreach (var (name, tensor) in encoder.state_dict()) weights[model.EncoderPrefix + name] = tensor;
            StateDictLoader.Load(model, weights, _weights.Source);
            model.eval();
            return model;
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    /// <summary>The CRF's scores (null for a linear head), read from the file while it is deferred.</summary>
    public (float[] Start, float[] End, float[,] Transitions)? CrfScores()
    {
        if (Spec.Head != TaggingHead.Crf) return null;
        return DeferredEncoder is not null ? _weights!.CrfScores("crf.") : Model.Crf!.Scores();
    }

    /// <summary>Writes the graph the ONNX Runtime engine runs (see <see cref="TaggerOnnxExport.WriteEmissions(TaggingModel, Stream, OnnxExportOptions?)"/>), from the file while it is deferred.</summary>
    public void WriteEmissionsOnnx(Stream stream, OnnxExportOptions? options)
    {
        if (DeferredEncoder is not null) TaggerOnnxExport.WriteEmissions(Spec, _weights!.Config, _weights.ForExport(), "", stream, options);
        else TaggerOnnxExport.WriteEmissions(Model, stream, options);
    }

    /// <summary>Writes the tagger's state dict in safetensors form, copied from the file while it is deferred (the same bytes).</summary>
    public void WriteStateDict(Stream stream)
    {
        if (DeferredEncoder is not null) _weights!.WriteTaskModelStateDict(stream);
        else Safetensors.Save(stream, Model.state_dict());
    }
}
