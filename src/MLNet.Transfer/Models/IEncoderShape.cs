namespace MLNet.Transfer.Models;

/// <summary>
/// The sizes of an encoder's hidden states, which embedding settings are validated against: known from a
/// <see cref="TextEncoder"/> or, before its module is built, from its config (<see cref="BertShape"/>).
/// </summary>
internal interface IEncoderShape
{
    /// <summary>Number of layers above the embeddings.</summary>
    int LayerCount { get; }

    /// <summary>Longest sequence, in tokens, the encoder accepts.</summary>
    int MaxTokens { get; }

    /// <summary>Width of hidden state <paramref name="layer"/> (0 = embeddings).</summary>
    int LayerWidth(int layer);
}

/// <summary>The shape of a BERT of <paramref name="Config"/>, as its <see cref="Bert.BertModel"/> reports it.</summary>
internal sealed record BertShape(BertConfig Config) : IEncoderShape
{
    /// <inheritdoc/>
    public int LayerCount => Config.NumHiddenLayers;

    /// <inheritdoc/>
    public int MaxTokens => Config.MaxPositionEmbeddings;

    /// <inheritdoc/>
    public int LayerWidth(int layer) => Config.HiddenSize;
}
