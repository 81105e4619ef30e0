using MLNet.Transfer.Checkpoints;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.Models;
using MLNet.Transfer.Models.Tagging;
using MLNet.Transfer.Onnx;
using static TorchSharp.torch;

namespace MLNet.Transfer.Inference;

/// <summary>
/// A token classifier (a <see cref="TaggingModel"/>) as inference and saving need it (see <see cref="DeferredModelSource{TModel}"/>):
/// while its weights are in the file, the ONNX Runtime engine exports its emissions graph from it, decoding reads the CRF's
/// scores from it and <c>Model.Save</c> copies it; the module is built when something needs it (LibTorch, the public ONNX
/// export, a device copy, training).
/// </summary>
internal sealed class TaggerModelSource : DeferredModelSource<TaggingModel>
{
    /// <summary>A built model.</summary>
    public TaggerModelSource(TaggingModel model) : base(model) => Spec = model.Spec;

    /// <summary>A tagger whose encoder is <paramref name="encoder"/> (deferred over <paramref name="weights"/>, which also hold the head).</summary>
    public TaggerModelSource(PretrainedEncoder encoder, DeferredBertWeights weights, TaggerSpec spec) : base(encoder, weights) => Spec = spec;

    /// <summary>The head a tagger for <paramref name="spec"/> over a BERT of <paramref name="config"/> stores besides the encoder: names and shapes.</summary>
    public static IReadOnlyList<(string Name, long[] Shape)> HeadWeights(BertConfig config, TaggerSpec spec) =>
        TaggingModel.HeadWeightShapes(spec, config.HiddenSize, config.NumHiddenLayers);

    /// <summary>The tag set, head and route.</summary>
    public TaggerSpec Spec { get; }

    /// <inheritdoc/>
    protected override TaggingModel Build(TextEncoder encoder, IReadOnlyDictionary<string, Tensor> tensors)
    {
        var model = new TaggingModel(encoder, Spec, 0);
        var weights = HeadWeights(Weights!.Config, Spec).ToDictionary(w => w.Name, w => tensors[w.Name]);
        foreach (var (name, tensor) in encoder.state_dict()) weights[model.EncoderPrefix + name] = tensor;
        StateDictLoader.Load(model, weights, Weights.Source);
        return model;
    }

    /// <summary>The CRF's scores (null for a linear head), read from the file while it is deferred.</summary>
    public (float[] Start, float[] End, float[,] Transitions)? CrfScores()
    {
        if (Spec.Head != TaggingHead.Crf) return null;
        return DeferredEncoder is not null ? Weights!.CrfScores("crf.") : Model.Crf!.Scores();
    }

    /// <summary>Writes the graph the ONNX Runtime engine runs (see <see cref="TaggerOnnxExport.WriteEmissions(TaggingModel, Stream, OnnxExportOptions?)"/>), from the file while it is deferred.</summary>
    public void WriteEmissionsOnnx(Stream stream, OnnxExportOptions? options)
    {
        if (DeferredEncoder is not null) TaggerOnnxExport.WriteEmissions(Spec, Weights!.Config, Weights.ForExport(), "", stream, options);
        else TaggerOnnxExport.WriteEmissions(Model, stream, options);
    }
}
