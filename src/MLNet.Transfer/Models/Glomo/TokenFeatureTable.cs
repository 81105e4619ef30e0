using MLNet.Transfer.Models.Bert;
using MLNet.Transfer.Models.Recurrent;
using MLNet.Transfer.Text;
using static TorchSharp.torch;

namespace MLNet.Transfer.Models.Glomo;

/// <summary>
/// The static token features a <see cref="GraphTransferClassifier"/> reads: another encoder's input (word-piece)
/// embedding rows, re-indexed to the vocabulary of the tokenizer the texts are encoded with (a GLoMo-style graph model's
/// vocabulary is the encoder's, restricted to its corpus).
/// </summary>
public static class TokenFeatureTable
{
    /// <summary>
    /// Row i is <paramref name="encoder"/>'s input embedding of token i of <paramref name="target"/>'s vocabulary
    /// ([target vocabulary, width], a detached copy on the CPU).
    /// </summary>
    /// <param name="encoder">Supplies the embedding table (a BERT or recurrent encoder).</param>
    /// <param name="encoderTokenizer">The encoder's tokenizer, whose ids index its table.</param>
    /// <param name="target">The tokenizer whose ids will index the result.</param>
    /// <param name="encoderName">The encoder's name, for messages.</param>
    /// <exception cref="InvalidDataException">A token of <paramref name="target"/> is not in the encoder's vocabulary (the message names some).</exception>
    /// <exception cref="NotSupportedException">The encoder has no word-piece embedding table.</exception>
    public static Tensor Select(TextEncoder encoder, BertWordPieceTokenizer encoderTokenizer, BertWordPieceTokenizer target, string encoderName)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(encoderTokenizer);
        ArgumentNullException.ThrowIfNull(target);
        var missing = target.Vocabulary.Where(t => !encoderTokenizer.TryGetId(t, out int _)).ToList();
        if (missing.Count > 0)
            throw new InvalidDataException(
                $"{missing.Count} of the {target.Vocabulary.Count} word pieces of the graph model are not in {encoderName}'s vocabulary "
                + $"(e.g. {string.Join(", ", missing.Take(5).Select(t => $"'{t}'"))}): the token features must come from the encoder whose "
                + "vocabulary the graph model was built from (pretrain --tokenizer).");
        var rows = target.Vocabulary.Select(t => encoderTokenizer.TryGetId(t, out int id) ? (long)id : 0L).ToArray();
        using var noGrad = no_grad();
        using var index = tensor(rows, device: encoder.Device);
        using var selected = InputEmbeddings(encoder, encoderName).index_select(0, index);
        return selected.detach().cpu().clone();
    }

    /// <summary>The encoder's word-piece embedding table [vocab, width].</summary>
    private static Tensor InputEmbeddings(TextEncoder encoder, string encoderName) => encoder switch
    {
        BertModel bert => bert.Embeddings.WordEmbeddingWeight,
        RecurrentEncoder recurrent => recurrent.EmbeddingWeight,
        _ => throw new NotSupportedException($"{encoderName} ({encoder.ModelType}) has no word-piece embedding table to use as token features."),
    };
}
