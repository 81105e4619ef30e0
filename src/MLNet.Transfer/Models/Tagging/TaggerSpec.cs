namespace MLNet.Transfer.Models.Tagging;

/// <summary>What a tagger predicts and how.</summary>
/// <param name="Tags">The tag set, by index (e.g. "O", "B-person", "I-person", ...).</param>
/// <param name="Head">Linear softmax or CRF.</param>
/// <param name="FeaturesOnly">
/// The ELMo route: the encoder stays frozen and the head reads a learned scalar mix of all its layers; otherwise the
/// encoder is fine-tuned and the head reads its top layer.
/// </param>
/// <param name="BiLstmHidden">
/// &gt; 0: a bidirectional LSTM this wide per direction reads the words' vectors before the head (the BiLSTM of
/// ELMo's and Lample et al.'s taggers; the default of the features route); 0: the head reads the vectors directly.
/// </param>
/// <param name="CasingFeatures">
/// Give the head (and the BiLSTM) each word's <see cref="Text.Tagging.WordShape"/> as a learned 16-wide vector: the
/// capitalisation that an uncased encoder's lower-casing hides.
/// </param>
public sealed record TaggerSpec(string[] Tags, TaggingHead Head, bool FeaturesOnly = false, int BiLstmHidden = 0, bool CasingFeatures = false)
{
    /// <summary>Checks the tag set (at least two distinct, non-empty tags) and the head.</summary>
    public TaggerSpec Validate()
    {
        if (Tags is null || Tags.Length < 2) throw new ArgumentException("A tagger needs at least two tags.", nameof(Tags));
        if (Tags.Any(string.IsNullOrWhiteSpace)) throw new ArgumentException("Tags must be non-empty.", nameof(Tags));
        if (Tags.Distinct(StringComparer.Ordinal).Count() != Tags.Length) throw new ArgumentException("Tags must be distinct.", nameof(Tags));
        if (!Enum.IsDefined(Head)) throw new ArgumentOutOfRangeException(nameof(Head), Head, $"Head must be one of {string.Join(", ", Enum.GetNames<TaggingHead>())}.");
        if (BiLstmHidden < 0) throw new ArgumentOutOfRangeException(nameof(BiLstmHidden), BiLstmHidden, "BiLstmHidden must be 0 (none) or positive.");
        return this;
    }
}
