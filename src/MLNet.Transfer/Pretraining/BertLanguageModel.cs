using MLNet.Transfer.Models;
using MLNet.Transfer.Models.Bert;
using MLNet.Transfer.Models.Heads;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.Transfer.Pretraining;

/// <summary>Vocabulary logits of the labelled positions of a batch and their target ids.</summary>
/// <param name="Logits">[predictions, vocab].</param>
/// <param name="Targets">int64 [predictions].</param>
public readonly record struct LanguageModelPredictions(Tensor Logits, Tensor Targets);

/// <summary>
/// A BERT encoder ("bert.*") with a tied language-model head ("cls.*"): the state dict of Hugging Face
/// <c>BertForMaskedLM</c> (masked objective) or <c>BertLMHeadModel</c> (causal objective, same keys).
/// </summary>
public sealed class BertLanguageModel : nn.Module
{
    /// <summary>Label of positions that are not predicted (as in PyTorch's cross_entropy ignore_index).</summary>
    public const int IgnoreLabel = -100;

#pragma warning disable IDE1006 // field names are the checkpoint keys
    private readonly BertModel bert;
    private readonly BertLmHead cls;
#pragma warning restore IDE1006

    /// <summary>Wraps <paramref name="encoder"/> (shared, not copied) with a fresh head tied to its word embeddings.</summary>
    public BertLanguageModel(BertModel encoder, LanguageModelObjective objective) : base(nameof(BertLanguageModel))
    {
        bert = encoder;
        Objective = objective;
        cls = new BertLmHead(encoder.Config, () => encoder.Embeddings.WordEmbeddingWeight);
        cls.to(encoder.Embeddings.Device);
        RegisterComponents();
    }

    /// <summary>The encoder.</summary>
    public BertModel Encoder => bert;

    /// <summary>The language-model head.</summary>
    public BertLmHead Head => cls;

    /// <summary>Masked or causal.</summary>
    public LanguageModelObjective Objective { get; }

    /// <summary>Whether attention is causal (left to right).</summary>
    public bool Causal => Objective == LanguageModelObjective.CausalLm;

    /// <summary>Vocabulary logits [batch, seq, vocab] at every position.</summary>
    public Tensor Logits(Tensor inputIds, Tensor tokenTypeIds, Tensor? attentionMask)
    {
        using var scope = NewDisposeScope();
        var states = bert.Forward(inputIds, tokenTypeIds, attentionMask, Causal);
        return cls.call(states[^1]).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Logits only where <paramref name="labels"/> [batch, seq] is not <see cref="IgnoreLabel"/> (the vocabulary
    /// projection, the costliest matmul, runs on those rows alone), with the labels as targets.
    /// </summary>
    public LanguageModelPredictions Predict(Tensor inputIds, Tensor tokenTypeIds, Tensor? attentionMask, Tensor labels)
    {
        using var scope = NewDisposeScope();
        var states = bert.Forward(inputIds, tokenTypeIds, attentionMask, Causal);
        var flatLabels = labels.reshape(-1);
        var rows = flatLabels.NotEqualTo(IgnoreLabel).nonzero().squeeze(1);
        var hidden = states[^1].reshape(-1, states[^1].shape[2]).index_select(0, rows);
        var logits = cls.call(hidden);
        var targets = flatLabels.index_select(0, rows);
        return new LanguageModelPredictions(logits.MoveToOuterDisposeScope(), targets.MoveToOuterDisposeScope());
    }
}
