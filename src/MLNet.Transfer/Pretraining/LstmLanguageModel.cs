using MLNet.Transfer.Models;
using MLNet.Transfer.Models.Recurrent;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transfer.Pretraining;

/// <summary>
/// The softmax layer of a recurrent language model: a vocabulary projection whose weight IS the encoder's embedding
/// matrix (tied, as in AWD-LSTM and ELMo — not a copy, not registered here, so it is stored and updated once) plus an
/// output bias ("decoder.bias").
/// </summary>
public sealed class TiedDecoder : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // field names are the checkpoint keys
    private readonly Parameter bias;
#pragma warning restore IDE1006
    private readonly Func<Parameter> _weight;

    /// <summary>Creates the layer with a zero bias over <paramref name="vocabSize"/> ids; <paramref name="weight"/> returns the tied [vocab, width] matrix.</summary>
    public TiedDecoder(int vocabSize, Func<Parameter> weight) : base(nameof(TiedDecoder))
    {
        bias = nn.Parameter(zeros(vocabSize));
        _weight = weight;
        RegisterComponents();
    }

    /// <summary>The projection's weight: the embedding parameter itself.</summary>
    public Parameter Weight => _weight();

    /// <summary>Vocabulary logits [..., vocab] for states [..., width].</summary>
    public override Tensor forward(Tensor hidden)
    {
        using var weight = _weight();
        return nn.functional.linear(hidden, weight, bias);
    }
}

/// <summary>
/// A recurrent language model: a <see cref="RecurrentEncoder"/> ("encoder.*") and a <see cref="TiedDecoder"/>
/// ("decoder.bias"). The AWD-LSTM predicts each next token from the tokens before it; the bidirectional model also
/// predicts each previous token from the tokens after it, with the same embeddings and softmax (ELMo's biLM), and its
/// loss is the mean over both directions' predictions. Locked dropout on the top layer's output applies in training.
/// </summary>
public sealed class LstmLanguageModel : nn.Module
{
#pragma warning disable IDE1006
    private readonly RecurrentEncoder encoder;
    private readonly TiedDecoder decoder;
#pragma warning restore IDE1006

    /// <summary>Wraps <paramref name="encoder"/> (shared, not copied) with a fresh output bias tied to its embeddings.</summary>
    public LstmLanguageModel(RecurrentEncoder encoder) : base(nameof(LstmLanguageModel))
    {
        this.encoder = encoder;
        decoder = new TiedDecoder(encoder.Config.VocabSize, () => encoder.EmbeddingWeight);
        decoder.to(encoder.Device);
        RegisterComponents();
    }

    /// <summary>The encoder.</summary>
    public RecurrentEncoder Encoder => encoder;

    /// <summary>The tied softmax layer.</summary>
    public TiedDecoder Decoder => decoder;

    /// <summary>Whether a right-to-left model is trained too.</summary>
    public bool Bidirectional => encoder.Config.Bidirectional;

    /// <summary>
    /// Vocabulary logits [batch, seq, vocab] at every position: of the next token (left-to-right), and for the
    /// bidirectional model of the previous token (right-to-left; null otherwise).
    /// </summary>
    public (Tensor Next, Tensor? Previous) Logits(Tensor inputIds, Tensor? attentionMask)
    {
        using var scope = NewDisposeScope();
        var run = encoder.Run(inputIds, attentionMask);
        var next = decoder.call(Top(run.Forward[^1]));
        var previous = run.Backward is null ? null : decoder.call(Top(run.Backward[^1]));
        return (next.MoveToOuterDisposeScope(), previous?.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Logits only where something is predicted, with the targets: the next-token <paramref name="labels"/> [batch, seq]
    /// (<see cref="BertLanguageModel.IgnoreLabel"/> elsewhere), and for the bidirectional model also the previous token
    /// at every real position but the first. The vocabulary projection, the costliest product, runs on those rows alone.
    /// </summary>
    public LanguageModelPredictions Predict(Tensor inputIds, Tensor? attentionMask, Tensor labels)
    {
        using var scope = NewDisposeScope();
        var run = encoder.Run(inputIds, attentionMask);
        var (logits, targets) = Selected(run.Forward[^1], labels);
        if (run.Backward is not null)
        {
            var (backLogits, backTargets) = Selected(run.Backward[^1], PreviousTokenLabels(inputIds, attentionMask));
            logits = cat([logits, backLogits], 0);
            targets = cat([targets, backTargets], 0);
        }
        return new LanguageModelPredictions(logits.MoveToOuterDisposeScope(), targets.MoveToOuterDisposeScope());
    }

    /// <summary>Previous-token targets [batch, seq]: position t ≥ 1 of a real token predicts the id at t − 1.</summary>
    public static Tensor PreviousTokenLabels(Tensor inputIds, Tensor? attentionMask)
    {
        using var scope = NewDisposeScope();
        var shifted = cat([Scalars.Full([inputIds.shape[0], 1], BertLanguageModel.IgnoreLabel, inputIds.device),
                           inputIds.narrow(1, 0, inputIds.shape[1] - 1)], 1);
        if (attentionMask is not null) shifted = shifted.FilledWhere(attentionMask.EqualTo(0), BertLanguageModel.IgnoreLabel);
        return shifted.MoveToOuterDisposeScope();
    }

    private (Tensor Logits, Tensor Targets) Selected(Tensor top, Tensor labels)
    {
        var flat = labels.reshape(-1);
        var rows = flat.NotEqualTo(BertLanguageModel.IgnoreLabel).nonzero().squeeze(1);
        var hidden = Top(top).reshape(-1, top.shape[2]).index_select(0, rows);
        return (decoder.call(hidden), flat.index_select(0, rows));
    }

    private Tensor Top(Tensor output) => RecurrentDropout.Locked(output, training ? encoder.Config.OutputDropout : 0);
}
