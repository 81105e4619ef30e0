namespace MLNet.Transfer;

/// <summary>What a head predicts.</summary>
public enum TaskKind
{
    /// <summary>One logit; sigmoid gives P(positive).</summary>
    Binary,
    /// <summary>One logit per class; softmax gives class probabilities.</summary>
    Multiclass,
    /// <summary>One real value (trained on standardised targets).</summary>
    Regression,
    /// <summary>One independent sigmoid logit per label.</summary>
    MultiLabel,
    /// <summary>
    /// One tag per word of a sentence (token classification: named entities, part-of-speech): a tagging head (linear or
    /// CRF) over the shared encoder's word-piece states, as the token classifier's. Multi-task models only.
    /// </summary>
    Tagging,
}
