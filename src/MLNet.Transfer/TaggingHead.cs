namespace MLNet.Transfer;

/// <summary>The output layer of a tagger.</summary>
public enum TaggingHead
{
    /// <summary>A linear softmax layer per word (BERT-style token classification); tags decoded independently.</summary>
    Linear,
    /// <summary>A linear layer giving emission scores, then a CRF with BIO-constrained Viterbi decoding.</summary>
    Crf,
}
