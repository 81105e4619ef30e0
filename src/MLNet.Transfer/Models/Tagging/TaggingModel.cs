using MLNet.Transfer.Text;
using MLNet.Transfer.Text.Tagging;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transfer.Models.Tagging;

/// <summary>
/// A token-classification model: an encoder (a BERT under "bert.*", as in Hugging Face's BertForTokenClassification, any
/// other <see cref="TextEncoder"/> under "encoder.*"), the state of each word's first word piece, dropout, a linear layer
/// ("classifier.*") giving one score per tag, and optionally a CRF ("crf.*"). With <see cref="TaggerSpec.FeaturesOnly"/>
/// the encoder is frozen and a scalar mix ("scalar_mix.*") of all its layers feeds the head; with
/// <see cref="TaggerSpec.BiLstmHidden"/> a bidirectional LSTM ("bilstm.*") reads the words first. Knows nothing of ML.NET.
/// </summary>
public sealed class TaggingModel : nn.Module
{
#pragma warning disable IDE1006 // field names are the checkpoint keys; exactly one of bert and encoder is set (TextEncoder.TaskModelPrefix)
    private readonly TextEncoder? bert;
    private readonly TextEncoder? encoder;
    private readonly ScalarMix? scalar_mix;
    private readonly Embedding? casing;
    private readonly WordBiLstm? bilstm;
    private readonly Dropout dropout;
    private readonly Linear classifier;
    private readonly ConditionalRandomField? crf;
#pragma warning restore IDE1006

    // A tagging head of a multi-task model reads an encoder that the enclosing model owns: it is held here outside the
    // module fields, so it is neither a submodule nor part of this head's parameters and state dict.
    private readonly Func<TextEncoder>? _sharedEncoder;

    /// <summary>Wraps <paramref name="encoder"/> (shared, not copied) with a fresh head for <paramref name="spec"/>.</summary>
    public TaggingModel(TextEncoder encoder, TaggerSpec spec, double headDropout) : this(encoder, spec, headDropout, ownsEncoder: true)
    {
    }

    /// <summary>
    /// A tagging head over an encoder owned by another module (a multi-task <see cref="Heads.TransferModel"/>): the same
    /// head and <see cref="Emissions(IReadOnlyList{TaggingWindow}, int)"/>, but its parameters and state dict hold only the
    /// head ("classifier.*", "crf.*", "casing.*"). The features route is not available (the encoder is fine-tuned).
    /// </summary>
    public static TaggingModel HeadOver(TextEncoder encoder, TaggerSpec spec, double headDropout)
    {
        if (spec.FeaturesOnly || spec.BiLstmHidden > 0)
            throw new ArgumentException("A tagging head over a shared encoder fine-tunes it: the features route (frozen encoder, BiLSTM) is not available.", nameof(spec));
        return new TaggingModel(encoder, spec, headDropout, ownsEncoder: false);
    }

    private TaggingModel(TextEncoder encoder, TaggerSpec spec, double headDropout, bool ownsEncoder) : base(nameof(TaggingModel))
    {
        ArgumentNullException.ThrowIfNull(encoder);
        Spec = spec.Validate();
        if (!ownsEncoder) _sharedEncoder = () => encoder;
        else if (encoder.TaskModelPrefix == nameof(bert)) bert = encoder;
        else this.encoder = encoder;
        if (spec.FeaturesOnly)
        {
            if (Enumerable.Range(0, encoder.LayerCount + 1).Any(l => encoder.LayerWidth(l) != encoder.HiddenSize))
                throw new NotSupportedException($"The features route mixes all layers, which needs equal layer widths; this {encoder.ModelType} encoder's differ.");
            scalar_mix = new ScalarMix(encoder.LayerCount + 1);
        }
        int wordWidth = encoder.HiddenSize;
        if (spec.CasingFeatures)
        {
            casing = nn.Embedding(WordShape.Count, CasingWidth);
            wordWidth += CasingWidth;
        }
        if (spec.BiLstmHidden > 0) bilstm = new WordBiLstm(wordWidth, spec.BiLstmHidden);
        dropout = nn.Dropout(headDropout);
        classifier = nn.Linear(bilstm?.OutputSize ?? wordWidth, spec.Tags.Length);
        if (spec.Head == TaggingHead.Crf) crf = new ConditionalRandomField(spec.Tags.Length);
        RegisterComponents();
        using var _ = no_grad();
        nn.init.normal_(classifier.weight!, 0, encoder.InitializerRange);
        nn.init.zeros_(classifier.bias!);
        AllowedTransitions = TagConstraints.Transitions(spec.Tags);
        AllowedStarts = TagConstraints.Starts(spec.Tags);
    }

    /// <summary>
    /// The names (without the encoder, in state-dict order) and shapes of the head of a tagger for <paramref name="spec"/>
    /// over an encoder <paramref name="hiddenSize"/> wide with <paramref name="layerCount"/> layers: what its state dict holds
    /// besides the encoder, computed without building the module (e.g. to check a weight file before deferring it).
    /// </summary>
    public static IReadOnlyList<(string Name, long[] Shape)> HeadWeightShapes(TaggerSpec spec, int hiddenSize, int layerCount)
    {
        var result = new List<(string, long[])>();
        if (spec.FeaturesOnly) result.AddRange([("scalar_mix.scalar_parameters", [layerCount + 1]), ("scalar_mix.gamma", [1])]);
        long width = hiddenSize;
        if (spec.CasingFeatures)
        {
            result.Add(("casing.weight", [WordShape.Count, CasingWidth]));
            width += CasingWidth;
        }
        if (spec.BiLstmHidden > 0)
        {
            long gates = 4L * spec.BiLstmHidden;
            foreach (var direction in new[] { "bilstm.forward_lstm.", "bilstm.backward_lstm." })
                result.AddRange([(direction + "weight_ih_l0", [gates, width]), (direction + "weight_hh_l0", [gates, spec.BiLstmHidden]),
                                 (direction + "bias_ih_l0", [gates]), (direction + "bias_hh_l0", [gates])]);
            width = 2L * spec.BiLstmHidden;
        }
        long tags = spec.Tags.Length;
        result.AddRange([("classifier.weight", [tags, width]), ("classifier.bias", [tags])]);
        if (spec.Head == TaggingHead.Crf) result.AddRange([("crf.start_transitions", [tags]), ("crf.end_transitions", [tags]), ("crf.transitions", [tags, tags])]);
        return result;
    }

    /// <summary>Width of the learned casing vector (<see cref="TaggerSpec.CasingFeatures"/>).</summary>
    public const int CasingWidth = 16;

    /// <summary>The tag set and head.</summary>
    public TaggerSpec Spec { get; }

    /// <summary>The encoder.</summary>
    public TextEncoder Encoder => bert ?? encoder ?? _sharedEncoder!();

    /// <summary>Whether the encoder belongs to another module (<see cref="HeadOver"/>): then this module's state dict holds only the head.</summary>
    public bool SharesEncoder => _sharedEncoder is not null;

    /// <summary>The encoder's key prefix in the state dict, with the dot: "bert." or "encoder." (none for a head over a shared encoder).</summary>
    public string EncoderPrefix => SharesEncoder ? throw new InvalidOperationException("This tagging head's encoder is shared: it is not in this module's state dict.")
                                 : bert is not null ? "bert." : "encoder.";

    /// <summary>The CRF layer (null for a linear head).</summary>
    public ConditionalRandomField? Crf => crf;

    /// <summary>BIO transition constraints used when decoding with the CRF.</summary>
    public bool[,] AllowedTransitions { get; }

    /// <summary>BIO start constraints used when decoding with the CRF.</summary>
    public bool[] AllowedStarts { get; }

    /// <summary>Tag scores [windows, most owned words, tags] of a batch of windows, padded with <paramref name="padId"/>.</summary>
    public Tensor Emissions(IReadOnlyList<TaggingWindow> windows, int padId)
    {
        using var scope = NewDisposeScope();
        var device = Encoder.Device;
        using var tokens = TokenBatch.Create(windows.Select(w => w.Tokens).ToArray(), padId, device);
        var shapes = casing is null ? null : TaggingBatches.WordShapes(windows, device);
        return Emissions(tokens.InputIds, tokens.TokenTypeIds, tokens.AttentionMask, TaggingBatches.WordPositions(windows, device), shapes).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Tag scores [batch, words, tags] of the words whose first pieces sit at <paramref name="wordPositions"/> [batch, words]
    /// (int64; padding entries are 0, the [CLS] position, and are ignored by the caller), with their
    /// <see cref="WordShape"/>s <paramref name="wordShapes"/> [batch, words] (int64; needed only with <see cref="TaggerSpec.CasingFeatures"/>).
    /// </summary>
    public Tensor Emissions(Tensor inputIds, Tensor tokenTypeIds, Tensor attentionMask, Tensor wordPositions, Tensor? wordShapes = null)
    {
        using var scope = NewDisposeScope();
        Tensor states;
        if (scalar_mix is not null)
        {
            Tensor[] layers;
            using (no_grad()) layers = Encoder.Forward(inputIds, tokenTypeIds, attentionMask);
            states = scalar_mix.call(layers);
        }
        else
        {
            states = Encoder.Forward(inputIds, tokenTypeIds, attentionMask)[^1];
        }
        long hidden = states.shape[2];
        var index = wordPositions.unsqueeze(2).expand(wordPositions.shape[0], wordPositions.shape[1], hidden);
        var words = states.gather(1, index);
        if (casing is not null) words = cat([words, casing.call(wordShapes ?? throw new ArgumentNullException(nameof(wordShapes), "This tagger uses casing features: give the words' shapes."))], 2);
        if (bilstm is not null) words = bilstm.call(CpuDropout.Apply(words, dropout.p, training), wordPositions.GreaterThan(0).sum(1)); // padding points at [CLS] (0)
        return classifier.call(CpuDropout.Apply(words, dropout.p, training)).MoveToOuterDisposeScope();
    }

    /// <summary>The parameters that train: all of them, or (features route) everything but the encoder.</summary>
    public IEnumerable<(string Name, Parameter Parameter)> TrainableParameters() =>
        named_parameters().Where(p => !Spec.FeaturesOnly || !p.name.StartsWith(EncoderPrefix, StringComparison.Ordinal));
}
