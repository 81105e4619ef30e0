using MLNet.Transfer.Checkpoints;
using MLNet.Transfer.Models;
using MLNet.Transfer.Models.Bert;
using MLNet.Transfer.Onnx;
using static TorchSharp.torch;

namespace MLNet.Transfer.Encoders;

/// <summary>
/// A BERT encoder's weights left in their safetensors file (a model directory's, or a private copy of a model zip's
/// entry) until something needs the TorchSharp module: the ONNX Runtime engine exports its graph straight from the file,
/// so a model that only runs there never initialises LibTorch nor holds its weights as tensors. Only a file whose tensors
/// are exactly the encoder's (names, shapes, floating-point types; heads other models add ignored, as loading does) is
/// deferred, so loading a bad file still fails at once, with the same error.
/// </summary>
internal sealed class DeferredBertWeights : IDisposable
{
    /// <summary>Checkpoint keys loading skips (what <see cref="PretrainedEncoder"/> ignores when it copies weights into a module).</summary>
    internal static readonly string[] IgnoredPrefixes = ["pooler.", "cls.", "embeddings.position_ids"];

    /// <summary>Prefixes Hugging Face task models put before the encoder's names (as <see cref="StateDictLoader"/> accepts them).</summary>
    private static readonly string[] WrapperPrefixes = ["bert.", "model.", "encoder_model."];

    private readonly SafetensorsFile _file;
    private readonly string _prefix;
    private readonly IReadOnlyList<(string Name, long[] Shape)> _extras;

    private DeferredBertWeights(BertConfig config, SafetensorsFile file, string prefix, IReadOnlyList<(string Name, long[] Shape)> extras)
    {
        Config = config;
        _file = file;
        _prefix = prefix;
        _extras = extras;
    }

    /// <summary>The architecture.</summary>
    public BertConfig Config { get; }

    /// <summary>The encoder's tensor names (its state-dict keys) with their shapes, in state-dict order.</summary>
    public static IReadOnlyList<(string Name, long[] Shape)> Expected(BertConfig c)
    {
        long h = c.HiddenSize, i = c.IntermediateSize;
        var result = new List<(string, long[])>
        {
            (BertWeightNames.WordEmbeddings, [c.VocabSize, h]), (BertWeightNames.PositionEmbeddings, [c.MaxPositionEmbeddings, h]),
            (BertWeightNames.TokenTypeEmbeddings, [c.TypeVocabSize, h]), (BertWeightNames.EmbeddingsLayerNormWeight, [h]), (BertWeightNames.EmbeddingsLayerNormBias, [h]),
        };
        long[][] layerShapes = [[h, h], [h], [h, h], [h], [h, h], [h], [h, h], [h], [h], [h], [i, h], [i], [h, i], [h], [h], [h]];
        for (int layer = 0; layer < c.NumHiddenLayers; layer++)
            result.AddRange(BertWeightNames.Layer(layer).Zip(layerShapes));
        return result;
    }

    /// <summary>
    /// Defers loading <paramref name="file"/> (taking ownership of it) when it holds exactly a BERT encoder of
    /// <paramref name="config"/> on the CPU, plus <paramref name="extras"/> (e.g. a task model's heads, which the encoder
    /// itself ignores); otherwise disposes it and returns null (the caller loads eagerly, which reports any mismatch by name).
    /// </summary>
    public static DeferredBertWeights? TryCreate(BertConfig config, SafetensorsFile file, IReadOnlyList<(string Name, long[] Shape)>? extras = null)
    {
        extras ??= [];
        var expected = Expected(config);
        string? prefix = file.Contains(expected[0].Name) ? "" : WrapperPrefixes.FirstOrDefault(p => file.Contains(p + expected[0].Name));
        bool fits = config.IsDecoder != true && prefix is not null &&
                    expected.Select(e => (Name: prefix + e.Name, e.Shape)).Concat(extras).All(e => Holds(file, e.Name, e.Shape)) &&
                    file.Names.Where(n => !extras.Any(e => e.Name == n)).Select(n => n.StartsWith(prefix, StringComparison.Ordinal) ? n[prefix.Length..] : n)
                        .All(n => expected.Any(e => e.Name == n) || IgnoredPrefixes.Any(p => n.StartsWith(p, StringComparison.Ordinal)));
        if (fits) return new DeferredBertWeights(config, file, prefix!, extras);
        file.Dispose();
        return null;
    }

    private static bool Holds(SafetensorsFile file, string name, long[] shape) =>
        file.Contains(name) && file.IsFloatingPoint(name) && file.Shape(name).SequenceEqual(shape);

    /// <summary>The weights for an ONNX export of the bare encoder (Hugging Face BertModel names).</summary>
    public ExportWeights ForExport() => ExportWeights.Of(_file, _prefix);

    /// <summary>The file's weights under their own names (a task model's: "bert." + the encoder's, and the extras).</summary>
    public ExportWeights AllForExport() => ExportWeights.Of(_file);

    /// <summary>Every tensor of the file as a TorchSharp CPU tensor; the caller owns them.</summary>
    public Dictionary<string, Tensor> LoadTensors() => _file.LoadTensors();

    /// <summary>One tensor of the file as float32 values, by its name in the file.</summary>
    public float[] ReadFloats(string name) => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(_file.ReadFloat32(name).AsSpan()).ToArray();

    /// <summary>The scores of the CRF stored under <paramref name="prefix"/> ("crf." of a tagger), as <see cref="Models.Tagging.ConditionalRandomField.Scores()"/> gives them.</summary>
    public (float[] Start, float[] End, float[,] Transitions) CrfScores(string prefix) =>
        Models.Tagging.ConditionalRandomField.Scores(ReadFloats(prefix + "start_transitions"), ReadFloats(prefix + "end_transitions"), ReadFloats(prefix + "transitions"));

    /// <summary>The file's name, for error messages.</summary>
    public string Source => _file.Source;

    /// <summary>Bytes of the encoder's float32 weights.</summary>
    public long WeightBytes => Expected(Config).Sum(e => Float32Bytes(e.Shape));

    /// <summary>
    /// Runs <paramref name="build"/> on a thread of its own and returns its result: a module built on first use must not be
    /// captured by the caller's TorchSharp dispose scope (which would free its parameters) nor created as inference tensors
    /// under the caller's inference mode (which could not be trained later); both are per thread. LibTorch's random
    /// generator is restored afterwards, so building (whose random initial weights are overwritten) draws nothing from a
    /// sequence the caller seeded: results are the same as when the module was built at load time.
    /// </summary>
    public static T OnOwnThread<T>(Func<T> build) =>
        Task.Factory.StartNew(() =>
        {
            using var state = get_rng_state();
            try { return build(); }
            finally { set_rng_state(state); }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).GetAwaiter().GetResult();

    /// <summary>Builds the TorchSharp module from the file (on the CPU, in eval mode), as loading it at once would have.</summary>
    public BertModel Materialize() => OnOwnThread(Build);

    private BertModel Build()
    {
        var model = new BertModel(Config);
        try
        {
            var weights = _file.LoadTensors();
            try { StateDictLoader.Load(model, weights, _file.Source, [.. IgnoredPrefixes, .. _extras.Select(e => e.Name)]); }
            finally { foreach (var w in weights.Values) w.Dispose(); }
            model.eval();
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Writes the encoder's state dict in safetensors form, byte for byte what <see cref="Safetensors.Save(Stream, IReadOnlyDictionary{string, Tensor}, IReadOnlyDictionary{string, string}?)"/>
    /// writes for the materialised module's <c>state_dict()</c> (the module's names, float32), without building it.
    /// </summary>
    public void WriteStateDict(Stream stream) => Safetensors.Save(stream, Expected(Config).Select(e => Entry(e.Name, e.Shape, _prefix + e.Name)));

    /// <summary>
    /// Writes the state dict of a task model around this encoder (stored under "bert.") with the extras (its heads), as
    /// <see cref="WriteStateDict"/> does for the encoder alone.
    /// </summary>
    public void WriteTaskModelStateDict(Stream stream) => Safetensors.Save(stream, Expected(Config)
        .Select(e => (Name: "bert." + e.Name, Key: _prefix + e.Name, e.Shape))
        .Concat(_extras.Select(e => (e.Name, Key: e.Name, e.Shape)))
        .Select(e => Entry(e.Name, e.Shape, e.Key)));

    /// <summary>A float32 safetensors entry <paramref name="name"/> [<paramref name="shape"/>] whose data is tensor <paramref name="key"/> of the file.</summary>
    private Safetensors.RawTensor Entry(string name, long[] shape, string key) =>
        new(name, "F32", shape, Float32Bytes(shape), s => s.Write(_file.ReadFloat32(key)));

    private static long Float32Bytes(long[] shape) => shape.Aggregate(4L, (p, d) => p * d);

    /// <summary>Closes the file.</summary>
    public void Dispose() => _file.Dispose();
}
