using MLNet.Transfer.Text;
using MLNet.Transfer.Text.Tagging;

namespace MLNet.Transfer.Training.SemiSupervised;

/// <summary>An augmented copy of a tagging window and which of its owned words were replaced.</summary>
/// <param name="Window">The copy: the same owned words in the same order, each with a first piece (<see cref="TaggingWindow.FirstPieces"/> point at them).</param>
/// <param name="Replaced">For each owned word, whether its first piece was replaced (the word is then another word).</param>
public sealed record AugmentedWindow(TaggingWindow Window, bool[] Replaced);

/// <summary>
/// UDA's TF-IDF word-piece augmentation (<see cref="TfIdfAugmenter"/>) for tagging windows, keeping every owned word and
/// the word count, so the original and the copy align word for word. The augmenter picks the pieces to change (the
/// uninformative, low TF-IDF ones the likeliest) exactly as for sentence texts; then:
/// <list type="bullet">
/// <item>A <b>continuation piece</b> ("##ing") is deleted or replaced as drawn: the word keeps its first piece, the one
/// that carries its tag.</item>
/// <item>A <b>first piece</b> is never deleted (that would remove the word and shift every later word's alignment): a
/// deletion drawn for it is skipped and the word stays as it was.</item>
/// <item>A first piece drawn for <b>replacement</b> is replaced, and the word is marked <see cref="AugmentedWindow.Replaced"/>:
/// the word is now another word, whose tag need not be the original's (replace "the" by "walked" and DET is no longer
/// right), so it leaves the consistency loss, while it still sits in place as context noise for its neighbours — the
/// perturbation UDA relies on. Masking rather than forbidding these replacements keeps the noise on the frequent, low
/// TF-IDF words (function words) that TF-IDF augmentation targets; most words of English text are a single piece, so
/// changing continuation pieces alone would leave most sentences untouched.</item>
/// </list>
/// Words a window reads only as context (a long sentence's overlap, not owned) are treated like continuation pieces.
/// </summary>
public static class TaggingWindowAugmenter
{
    /// <summary>An augmented copy of each window, reproducible for a seed; the TF-IDF statistics come from the windows themselves.</summary>
    /// <param name="windows">Unlabelled windows (at least one).</param>
    /// <param name="rate">Share of word pieces changed (<see cref="SemiSupervisedSettings.AugmentationRate"/>).</param>
    /// <param name="deletionShare">Share of the changed pieces deleted rather than replaced (<see cref="SemiSupervisedSettings.DeletionShare"/>).</param>
    /// <param name="seed">Seed of the draws.</param>
    public static AugmentedWindow[] AugmentAll(IReadOnlyList<TaggingWindow> windows, double rate, double deletionShare, int seed)
    {
        var augmenter = new TfIdfAugmenter([.. windows.Select(w => w.Tokens)]);
        var random = new Random(seed);
        return [.. windows.Select(w => Augment(augmenter, w, rate, deletionShare, random))];
    }

    /// <summary>One window's copy (see the class remarks).</summary>
    internal static AugmentedWindow Augment(TfIdfAugmenter augmenter, TaggingWindow window, double rate, double deletionShare, Random random)
    {
        var tokens = window.Tokens;
        var changes = augmenter.Changes(tokens, rate, deletionShare, random);
        var ids = new List<int>(tokens.Length);
        var types = new List<int>(tokens.Length);
        var firstPieces = new int[window.OwnedWords];
        var replaced = new bool[window.OwnedWords];
        int word = 0;
        for (int i = 0; i < tokens.Length; i++)
        {
            int change = changes[i];
            if (word < firstPieces.Length && window.FirstPieces[word] == i)
            {
                firstPieces[word] = ids.Count;
                replaced[word++] = change >= 0;
                ids.Add(change >= 0 ? change : tokens.InputIds[i]);
            }
            else if (change == TfIdfAugmenter.Deleted) continue;
            else ids.Add(change == TfIdfAugmenter.Kept ? tokens.InputIds[i] : change);
            types.Add(tokens.TokenTypeIds[i]);
        }
        return new AugmentedWindow(window with { Tokens = new EncodedText([.. ids], [.. types]), FirstPieces = firstPieces }, replaced);
    }
}
